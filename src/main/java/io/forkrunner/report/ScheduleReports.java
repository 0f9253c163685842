package io.forkrunner.report;

import io.forkrunner.run.SkippedFires;
import io.forkrunner.schedule.ScheduleView;
import io.forkrunner.schedule.Schedules;
import java.util.List;
import org.springframework.stereotype.Component;

/** Each scheduled job with its schedule, its last run and the fires it skipped: for the CLI and the API. */
@Component
public class ScheduleReports {

    private final Schedules schedules;
    private final RunReports runs;
    private final SkippedFires skippedFires;

    ScheduleReports(Schedules schedules, RunReports runs, SkippedFires skippedFires) {
        this.schedules = schedules;
        this.runs = runs;
        this.skippedFires = skippedFires;
    }

    /** A scheduled job: its schedule and next fires, its last run (null when none), its skipped fires. */
    public record ScheduledJob(ScheduleView schedule, RunView lastRun, List<SkippedFires.SkippedFire> skippedFires) {}

    public List<ScheduledJob> list() {
        List<RunView> all = runs.runs();
        return schedules.list(3).stream()
                .map(schedule -> new ScheduledJob(
                        schedule,
                        all.stream()
                                .filter(run -> run.job().equals(schedule.job()))
                                .findFirst()
                                .orElse(null),
                        skippedFires.of(schedule.job())))
                .toList();
    }
}
