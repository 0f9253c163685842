package io.forkrunner.report;

import java.time.Instant;
import java.util.List;

/**
 * A run of a job: its state (that of its latest execution), the fork it makes and its steps.
 *
 * @param executions how many times it was executed: 1, plus one per restart
 */
public record RunView(
        long run,
        String job,
        String trigger,
        String state,
        Instant startedAt,
        Instant endedAt,
        int executions,
        String fork,
        String source,
        Instant pointInTime,
        String backup,
        String error,
        List<StepView> steps) {}
