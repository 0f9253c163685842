package io.forkrunner.cli;

import io.forkrunner.Forkrunner;
import io.forkrunner.fork.ForkRegistry;
import io.forkrunner.run.Operator;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(
        name = "drop",
        description = "Removes a fork: its pools, its server, its directory, its reservations, its record.")
final class DropCommand implements Callable<Integer> {

    @ParentCommand
    Cli cli;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "FORK")
    String fork;

    @Override
    public Integer call() {
        try (Forkrunner forkrunner = Forkrunner.boot(cli.home(), false)) {
            forkrunner.bean(Operator.class).refuseIfMaking(fork, "dropping");
            forkrunner.bean(ForkRegistry.class).drop(fork);
            spec.commandLine().getOut().printf("dropped %s%n", fork);
            return Cli.DONE;
        }
    }
}
