package io.forkrunner.cli;

import io.forkrunner.Forkrunner;
import io.forkrunner.definition.Durations;
import io.forkrunner.rename.Rename;
import io.forkrunner.system.BadInputException;
import io.forkrunner.system.Problem;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(
        name = "rename",
        description = "Renames a service by forking it: the service refuses writes, a fork of its latest transaction"
                + " becomes NEW-NAME, its pooler's pools lead there; the original stays, refusing writes.")
final class RenameCommand implements Callable<Integer> {

    @ParentCommand
    Cli cli;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SERVICE")
    String service;

    @Parameters(index = "1", paramLabel = "NEW-NAME")
    String newName;

    @Option(
            names = "--wait",
            paramLabel = "DURATION",
            description = "how long open transactions may take to end once writes are refused (default 60s)")
    String wait = "60s";

    @Option(names = "--abandon", description = "give up an unfinished rename: the service takes writes again")
    boolean abandon;

    @Option(names = "--json", description = "print the result as one JSON document")
    boolean json;

    @Override
    public Integer call() {
        Duration limit = Durations.parse(wait)
                .orElseThrow(() -> new BadInputException(
                        new Problem("command line", 0, "--wait", wait, "is not a duration", List.of("30s", "5m"))));
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (Forkrunner forkrunner = Forkrunner.boot(cli.home(), false)) {
            Rename rename = forkrunner.bean(Rename.class);
            if (abandon) {
                rename.abandon(service, newName);
                out.printf("abandoned the rename of %s to %s: %s takes writes again%n", service, newName, service);
                return Cli.DONE;
            }
            Rename.Result result = rename.rename(service, newName, limit, line -> {
                (json ? err : out).println(line);
                (json ? err : out).flush();
            });
            if (json) {
                out.println(Json.write(result));
            } else {
                out.printf(
                        "renamed %s to %s by run %d: %s listens on %s:%d%s%n",
                        service,
                        newName,
                        result.run(),
                        newName,
                        result.host(),
                        result.port(),
                        result.poolPort() == null ? "" : ", its pools on " + result.poolPort());
                out.printf(
                        "%s stays, refusing writes, until you drop it%n%s",
                        service,
                        result.pooler() == null
                                ? "no pooler is declared for " + service + ": point its clients at " + newName + "\n"
                                : "");
            }
            return Cli.DONE;
        }
    }
}
