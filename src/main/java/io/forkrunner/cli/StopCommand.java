package io.forkrunner.cli;

import io.forkrunner.Forkrunner;
import io.forkrunner.run.Operator;
import java.util.Map;
import java.util.concurrent.Callable;
import org.springframework.batch.core.BatchStatus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "stop", description = "Stops a running run gracefully: it ends STOPPED, its child processes ended.")
final class StopCommand implements Callable<Integer> {

    @ParentCommand
    Cli cli;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "RUN")
    long run;

    @Option(names = "--json", description = "print the result as one JSON document")
    boolean json;

    @Override
    public Integer call() {
        try (Forkrunner forkrunner = Forkrunner.boot(cli.home(), false)) {
            BatchStatus status = forkrunner.bean(Operator.class).stop(run);
            if (json) {
                spec.commandLine().getOut().println(Json.write(Map.of("run", run, "state", status.name())));
            } else {
                spec.commandLine().getOut().printf("run %d: %s%n", run, status);
            }
            return status == BatchStatus.STOPPED || status == BatchStatus.FAILED ? Cli.DONE : Cli.FAILED;
        }
    }
}
