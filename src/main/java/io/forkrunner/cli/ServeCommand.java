package io.forkrunner.cli;

import io.forkrunner.Forkrunner;
import io.forkrunner.definition.Definitions;
import io.forkrunner.definition.LiveDefinitions;
import io.forkrunner.definition.ServiceDefinition;
import io.forkrunner.schedule.Serving;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.event.ContextClosedEvent;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(
        name = "serve",
        description =
                "Runs the schedules (a node of the cluster), the WAL archivers and the forks that should run, until stopped (SIGTERM or Ctrl-C).")
final class ServeCommand implements Callable<Integer> {

    @ParentCommand
    Cli cli;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        Forkrunner runtime = Forkrunner.boot(cli.home(), true);
        CountDownLatch closed = new CountDownLatch(1);
        runtime.context().addApplicationListener(event -> {
            if (event instanceof ContextClosedEvent) {
                closed.countDown();
            }
        });
        runtime.context().registerShutdownHook();
        List<String> problems = runtime.bean(Serving.class).start();
        Definitions definitions = runtime.bean(LiveDefinitions.class).current();
        int port =
                ((WebServerApplicationContext) runtime.context()).getWebServer().getPort();
        String address = definitions.settings().api().address();
        String host = address.contains(":") ? "[" + address + "]" : address;
        spec.commandLine()
                .getErr()
                .printf(
                        "serving %s: schedules started; archiving WAL of %s; API and dashboard on http://%s:%d/%n",
                        definitions.home().root(),
                        definitions.streamingServices().stream()
                                .map(ServiceDefinition::name)
                                .toList(),
                        host,
                        port);
        problems.forEach(problem -> spec.commandLine().getErr().println("not started: " + problem));
        spec.commandLine().getErr().flush();
        closed.await();
        return Cli.DONE;
    }
}
