package io.forkrunner.cli;

import io.forkrunner.Forkrunner;
import io.forkrunner.backup.BackupKeeper;
import io.forkrunner.backup.StoredBackup;
import io.forkrunner.report.Text;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "backup", description = "Takes a verified base backup of SERVICE now.")
final class BackupCommand implements Callable<Integer> {

    @ParentCommand
    Cli cli;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "SERVICE")
    String service;

    @Option(names = "--json", description = "print the backup as one JSON document")
    boolean json;

    @Override
    public Integer call() {
        try (Forkrunner runtime = Forkrunner.boot(cli.home(), false)) {
            StoredBackup backup = runtime.bean(BackupKeeper.class).backup(service);
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println(Json.write(backup));
            } else {
                out.printf(
                        "backup %s of %s: %s, %s, WAL %s to %s, into %s%n",
                        backup.id(),
                        backup.service(),
                        backup.verified() ? "verified" : backup.state(),
                        Text.bytes(backup.sizeBytes()),
                        backup.startPosition(),
                        backup.endPosition(),
                        backup.directory());
            }
            return Cli.DONE;
        }
    }
}
