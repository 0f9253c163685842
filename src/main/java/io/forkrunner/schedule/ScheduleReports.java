package io.forkrunner.schedule;

import io.forkrunner.definition.LiveDefinitions;
import io.forkrunner.report.RunReports;
import io.forkrunner.report.RunView;
import io.forkrunner.run.SkippedFires;
import java.util.List;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;

/**
 * Each scheduled job with its schedule, its last run and the fires it skipped: for the CLI and the API. Where the
 * scheduler is there, the triggers are first made to match the definitions; a context that only reads has no scheduler
 * and is used only when they match already ({@link TriggerRecords#match}).
 */
@Component
public class ScheduleReports {

    private static final int NEXT_FIRES = 3;

    private final ObjectProvider<Schedules> schedules;
    private final TriggerRecords triggers;
    private final LiveDefinitions definitions;
    private final RunReports runs;
    private final SkippedFires skippedFires;

    ScheduleReports(
            ObjectProvider<Schedules> schedules,
            TriggerRecords triggers,
            LiveDefinitions definitions,
            RunReports runs,
            SkippedFires skippedFires) {
        this.schedules = schedules;
        this.triggers = triggers;
        this.definitions = definitions;
        this.runs = runs;
        this.skippedFires = skippedFires;
    }

    /** A scheduled job: its schedule and next fires, its last run (null when none), its skipped fires. */
    public record ScheduledJob(ScheduleView schedule, RunView lastRun, List<SkippedFires.SkippedFire> skippedFires) {}

    public List<ScheduledJob> list() {
        schedules.ifAvailable(Schedules::synchronize);
        List<RunView> all = runs.runs();
        return triggers.list(definitions.current(), NEXT_FIRES).stream()
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
