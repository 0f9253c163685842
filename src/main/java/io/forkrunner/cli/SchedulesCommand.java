package io.forkrunner.cli;

import io.forkrunner.Forkrunner;
import io.forkrunner.report.RunReports;
import io.forkrunner.report.RunView;
import io.forkrunner.report.Text;
import io.forkrunner.run.SkippedFires;
import io.forkrunner.schedule.ScheduleView;
import io.forkrunner.schedule.Schedules;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
        try (Forkrunner forkrunner = Forkrunner.boot(cli.home(), false)) {
            List<ScheduleView> schedules = forkrunner.bean(Schedules.class).list(3);
            List<RunView> runs = forkrunner.bean(RunReports.class).runs();
            SkippedFires skipped = forkrunner.bean(SkippedFires.class);
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                List<Map<String, Object>> documents = new ArrayList<>();
                for (ScheduleView schedule : schedules) {
                    Map<String, Object> document = new LinkedHashMap<>();
                    document.put("schedule", schedule);
                    document.put("lastRun", last(runs, schedule.job()).orElse(null));
                    document.put("skippedFires", skipped.of(schedule.job()));
                    documents.add(document);
                }
                out.println(Json.write(documents));
                return Cli.DONE;
            }
            List<List<String>> rows = new ArrayList<>();
            rows.add(List.of("JOB", "CRON", "ZONE", "STATE", "NEXT FIRES", "LAST RUN", "RESULT", "SKIPPED"));
            for (ScheduleView schedule : schedules) {
                Optional<RunView> last = last(runs, schedule.job());
                rows.add(List.of(
                        schedule.job(),
                        schedule.cron(),
                        schedule.zone(),
                        schedule.state(),
                        String.join(
                                ", ",
                                schedule.nextFires().stream().map(Text::time).toList()),
                        last.map(run -> String.valueOf(run.run())).orElse("-"),
                        last.map(RunView::state).orElse("-"),
                        String.valueOf(skipped.of(schedule.job()).size())));
            }
            out.print(Text.render(rows));
            return Cli.DONE;
        }
    }

    private static Optional<RunView> last(List<RunView> runs, String job) {
        return runs.stream().filter(run -> run.job().equals(job)).findFirst();
    }
}
