package io.forkrunner.report;

import java.time.Instant;
import java.util.Map;

/**
 * One step of a run as its latest execution left it.
 *
 * @param checkpoint the last checkpoint the step recorded, e.g. {@code laid-down}
 * @param progress how far long work has got, e.g. {@code bytes laid down: 1200 of 4000}
 * @param report what the step recorded for the report, e.g. row counts
 */
public record StepView(
        String name,
        String state,
        Instant startedAt,
        Instant endedAt,
        Long durationMillis,
        String checkpoint,
        String progress,
        Map<String, String> report,
        String error) {}
