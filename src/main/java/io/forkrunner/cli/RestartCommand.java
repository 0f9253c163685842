package io.forkrunner.cli;

import io.forkrunner.Forkrunner;
import io.forkrunner.notification.NotificationDispatcher;
import io.forkrunner.report.RunReports;
import io.forkrunner.run.Operator;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(
        name = "restart",
        description = "Resumes a failed or stopped run (or one whose process died) at its checkpoint.")
final class RestartCommand implements Callable<Integer> {

    @ParentCommand
    Cli cli;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "RUN")
    long run;

    @Option(names = "--json", description = "print the finished run as one JSON document")
    boolean json;

    @Override
    public Integer call() {
        try (Forkrunner forkrunner = Forkrunner.boot(cli.home(), false)) {
            forkrunner.bean(Operator.class).restart(run);
            forkrunner.bean(NotificationDispatcher.class).deliverOnce(run);
            return RunCommand.Finished.print(
                    forkrunner.bean(RunReports.class).run(run),
                    json,
                    spec.commandLine().getOut());
        }
    }
}
