package io.forkrunner.report;

import java.time.Instant;
import java.util.List;

/**
 * A run of a job: its state (that of its latest execution), the fork it makes and its steps.
 *
 * @param executions how many times it was executed: 1, plus one per restart
 * @param warnings what its steps warn of (the {@code warning} of their reports), e.g. work left to the operator
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
        List<String> warnings,
        List<StepView> steps) {}
