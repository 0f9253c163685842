package io.forkrunner.report;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A run as people read it: its state, its fork, and a table of its steps. */
public final class RunText {

    private RunText() {}

    public static void print(RunView run, PrintWriter out) {
        out.printf(
                "run %d of %s: %s%s%n",
                run.run(),
                run.job(),
                run.state(),
                run.executions() > 1 ? " (" + run.executions() + " executions)" : "");
        if (run.fork() != null) {
            out.printf(
                    "fork %s of %s at %s, from backup %s%n",
                    run.fork(), run.source(), Text.time(run.pointInTime()), run.backup());
        }
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("STEP", "STATE", "DURATION", "CHECKPOINT", "DETAIL"));
        for (StepView step : run.steps()) {
            rows.add(List.of(
                    step.name(),
                    step.state(),
                    duration(step.durationMillis()),
                    Text.text(step.checkpoint()),
                    detail(step)));
        }
        out.print(Text.render(rows));
        if (run.error() != null) {
            out.println("error: " + run.error());
        }
        run.warnings().forEach(warning -> out.println("warning: " + warning));
    }

    private static String detail(StepView step) {
        if (step.error() != null) {
            return step.error().lines().findFirst().orElse("");
        }
        if (step.progress() != null) {
            return step.progress();
        }
        List<String> parts = new ArrayList<>();
        for (Map.Entry<String, String> entry : step.report().entrySet()) {
            if (!entry.getKey().equals("settings")
                    && !entry.getKey().equals("rows")
                    && !entry.getKey().equals("directory")) {
                parts.add(entry.getKey() + " " + entry.getValue());
            }
        }
        if (step.report().containsKey("rows")) {
            parts.add("row counts recorded");
        }
        return String.join(", ", parts);
    }

    public static String duration(Long millis) {
        if (millis == null) {
            return "-";
        }
        return millis < 60_000
                ? String.format("%.1f s", millis / 1000.0)
                : String.format("%d min %d s", millis / 60_000, (millis / 1000) % 60);
    }

    /** One line for a terminal: the step running now and its progress. */
    public static String progressLine(RunView run) {
        return run.steps().stream()
                .filter(step -> "STARTED".equals(step.state()))
                .findFirst()
                .map(step -> "[" + step.name() + "] " + (step.progress() == null ? "" : step.progress()))
                .orElse("");
    }
}
