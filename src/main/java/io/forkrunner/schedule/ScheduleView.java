package io.forkrunner.schedule;

import java.time.Instant;
import java.util.List;

/** A scheduled job: its schedule, the state of its trigger (NORMAL, PAUSED, ...) and its next fire times. */
public record ScheduleView(
        String job, String cron, String zone, String misfire, String overlap, String state, List<Instant> nextFires) {}
