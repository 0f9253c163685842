package io.forkrunner.cli;

import io.forkrunner.Forkrunner;
import io.forkrunner.definition.LiveDefinitions;
import io.forkrunner.report.Text;
import io.forkrunner.schedule.ScheduleReports;
import io.forkrunner.schedule.TriggerRecords;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(
        name = "schedules",
        description = "Each scheduled job: next fire times, state, last run and result, skipped fires.")
final class SchedulesCommand implements Callable<Integer> {

    @ParentCommand
    Cli cli;

    @Spec
    CommandSpec spec;

    @Option(names = "--json", description = "print one JSON document")
    boolean json;

    @Override
    public Integer call() {
        // the full start first makes the triggers match the definitions; the thin one reads them only when they do
        try (Forkrunner forkrunner = Forkrunner.read(
                cli.home(),
                thin -> thin.bean(TriggerRecords.class)
                        .match(thin.bean(LiveDefinitions.class).current()))) {
            List<ScheduleReports.ScheduledJob> scheduled =
                    forkrunner.bean(ScheduleReports.class).list();
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println(Json.write(scheduled));
                return Cli.DONE;
            }
            List<List<String>> rows = new ArrayList<>();
            rows.add(List.of("JOB", "CRON", "ZONE", "STATE", "NEXT FIRES", "LAST RUN", "RESULT", "SKIPPED"));
            for (ScheduleReports.ScheduledJob job : scheduled) {
                rows.add(List.of(
                        job.schedule().job(),
                        job.schedule().cron(),
                        job.schedule().zone(),
                        job.schedule().state(),
                        String.join(
                                ", ",
                                job.schedule().nextFires().stream()
                                        .map(Text::time)
                                        .toList()),
                        job.lastRun() == null
                                ? "-"
                                : String.valueOf(job.lastRun().run()),
                        job.lastRun() == null ? "-" : job.lastRun().state(),
                        String.valueOf(job.skippedFires().size())));
            }
            out.print(Text.render(rows));
            return Cli.DONE;
        }
    }
}
