package io.forkrunner.cli;

import io.forkrunner.demo.Demo;
import io.forkrunner.report.RunView;
import io.forkrunner.system.BadInputException;
import io.forkrunner.system.Problem;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(
        name = "demo",
        description = "Makes a demo source, backs it up, writes more, forks it to a point in time between the writes.")
final class DemoCommand implements Callable<Integer> {

    @ParentCommand
    Cli cli;

    @Spec
    CommandSpec spec;

    @Option(
            names = "--engine",
            paramLabel = "ENGINE",
            description = "the demo source's engine: postgresql (the default), mariadb, redis or opensearch")
    String engine = "postgresql";

    @Override
    public Integer call() throws Exception {
        if (!Demo.ENGINES.contains(engine)) {
            throw new BadInputException(
                    new Problem("command line", 0, "--engine", engine, "is not an engine the demo runs", Demo.ENGINES));
        }
        RunView run = new Demo(cli.home(), engine, spec.commandLine().getOut()).run();
        return "COMPLETED".equals(run.state()) ? Cli.DONE : Cli.FAILED;
    }
}
