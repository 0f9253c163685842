package io.forkrunner.cli;

import io.forkrunner.Forkrunner;
import io.forkrunner.notification.RunEndNotifications;
import io.forkrunner.report.RunReports;
import io.forkrunner.report.RunText;
import io.forkrunner.report.RunView;
import io.forkrunner.report.Text;
import io.forkrunner.run.Operator;
import io.forkrunner.run.RunLiveness;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(
        name = "status",
        description = "Lists runs, or shows one run's steps with state, duration, checkpoint and error.")
final class StatusCommand implements Callable<Integer> {

    @ParentCommand
    Cli cli;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "RUN", arity = "0..1")
    Long run;

    @Option(names = "--json", description = "print one JSON document")
    boolean json;

    @Override
    public Integer call() {
        // the full start first marks FAILED (and notifies) the runs whose process died; the thin one, when none did
        try (Forkrunner forkrunner = Forkrunner.read(
                cli.home(), thin -> thin.bean(RunLiveness.class).deadRuns().isEmpty())) {
            forkrunner
                    .optionalBean(Operator.class)
                    .ifPresent(operator -> operator.recoverDeadRuns()
                            .forEach(forkrunner.bean(RunEndNotifications.class)::processDied));
            RunReports reports = forkrunner.bean(RunReports.class);
            PrintWriter out = spec.commandLine().getOut();
            if (run != null) {
                RunView view = reports.run(run);
                if (json) {
                    out.println(Json.write(view));
                } else {
                    RunText.print(view, out);
                }
                return Cli.DONE;
            }
            List<RunView> runs = reports.runs();
            if (json) {
                out.println(Json.write(runs));
                return Cli.DONE;
            }
            List<List<String>> rows = new ArrayList<>();
            rows.add(List.of("RUN", "JOB", "STATE", "STARTED", "ENDED", "FORK", "POINT IN TIME"));
            for (RunView view : runs) {
                rows.add(List.of(
                        String.valueOf(view.run()),
                        view.job(),
                        view.state(),
                        Text.time(view.startedAt()),
                        Text.time(view.endedAt()),
                        Text.text(view.fork()),
                        Text.time(view.pointInTime())));
            }
            out.print(Text.render(rows));
            return Cli.DONE;
        }
    }
}
