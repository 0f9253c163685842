package io.forkrunner.cli;

import io.forkrunner.Forkrunner;
import io.forkrunner.fork.ForkRecord;
import io.forkrunner.fork.ForkRecords;
import io.forkrunner.report.RunText;
import io.forkrunner.report.Text;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(
        name = "forks",
        description =
                "Lists the forks that exist: source, point in time, region, port, pool port, database in a server, age.")
final class ForksCommand implements Callable<Integer> {

    @ParentCommand
    Cli cli;

    @Spec
    CommandSpec spec;

    @Option(names = "--json", description = "print one JSON document")
    boolean json;

    @Override
    public Integer call() {
        try (Forkrunner forkrunner = Forkrunner.read(cli.home())) {
            List<ForkRecord> forks = forkrunner.bean(ForkRecords.class).list();
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println(Json.write(forks));
                return Cli.DONE;
            }
            List<List<String>> rows = new ArrayList<>();
            rows.add(List.of(
                    "FORK", "JOB", "RUN", "SOURCE", "POINT IN TIME", "REGION", "PORT", "POOL PORT", "DATABASE", "AGE"));
            Instant now = Instant.now();
            for (ForkRecord fork : forks) {
                rows.add(List.of(
                        fork.name(),
                        fork.job(),
                        String.valueOf(fork.runId()),
                        fork.source(),
                        Text.time(fork.pointInTime()),
                        fork.region(),
                        String.valueOf(fork.port()),
                        fork.poolPort() == null ? "-" : String.valueOf(fork.poolPort()),
                        fork.database() == null ? "-" : fork.database() + " in " + fork.server(),
                        RunText.duration(Duration.between(fork.createdAt(), now).toMillis())));
            }
            out.print(Text.render(rows));
            return Cli.DONE;
        }
    }
}
