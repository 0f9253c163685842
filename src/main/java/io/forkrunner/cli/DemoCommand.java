package io.forkrunner.cli;

import io.forkrunner.demo.Demo;
import io.forkrunner.report.RunView;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
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

    @Override
    public Integer call() throws Exception {
        RunView run = new Demo(cli.home(), spec.commandLine().getOut()).run();
        return "COMPLETED".equals(run.state()) ? Cli.DONE : Cli.FAILED;
    }
}
