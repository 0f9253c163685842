package io.forkrunner.cli;

import io.forkrunner.Forkrunner;
import io.forkrunner.backup.BackupKeeper;
import io.forkrunner.backup.BackupReport;
import io.forkrunner.backup.StoredBackup;
import io.forkrunner.backup.WalGap;
import io.forkrunner.report.Text;
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

@Command(name = "backups", description = "Lists the backups of SERVICE and its point-in-time window.")
final class BackupsCommand implements Callable<Integer> {

    @ParentCommand
    Cli cli;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "SERVICE")
    String service;

    @Option(names = "--json", description = "print one JSON document")
    boolean json;

    @Override
    public Integer call() {
        try (Forkrunner runtime = Forkrunner.read(cli.home())) {
            BackupReport report = runtime.bean(BackupKeeper.class).report(service);
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println(Json.write(report));
                return Cli.DONE;
            }
            List<List<String>> rows = new ArrayList<>();
            rows.add(List.of("BACKUP", "STATE", "STARTED", "ENDED", "WAL FROM", "WAL TO", "SIZE"));
            for (StoredBackup backup : report.backups()) {
                rows.add(List.of(
                        backup.id(),
                        backup.state().name(),
                        Text.time(backup.startedAt()),
                        Text.time(backup.endedAt()),
                        Text.text(backup.startPosition()),
                        Text.text(backup.endPosition()),
                        Text.bytes(backup.sizeBytes())));
            }
            out.print(Text.render(rows));
            for (StoredBackup backup : report.backups()) {
                if (backup.state() == StoredBackup.State.FAILED) {
                    out.println("backup " + backup.id() + " failed: " + Text.text(backup.error()));
                }
            }
            BackupReport.Window window = report.window();
            List<String> moments = report.backups().stream()
                    .filter(backup -> backup.state() == StoredBackup.State.VERIFIED)
                    .map(backup -> Text.time(backup.endedAt()))
                    .toList();
            out.println(
                    report.archive() == null && !moments.isEmpty()
                            ? "no change archive: a fork holds the moment of one backup, the newest taken by --at: "
                                    + String.join(", ", moments)
                            : window == null
                                    ? "point-in-time window: none (no verified backup: take one with forkrunner backup "
                                            + service + ")"
                                    : "point-in-time window: " + Text.time(window.from()) + " to "
                                            + Text.time(window.to()));
            BackupReport.ArchiveView archive = report.archive();
            if (archive != null) {
                String archiver = archive.archiver() == null
                        ? "no archiver has run (forkrunner serve runs one)"
                        : "archiver " + archive.archiver().state() + " on "
                                + archive.archiver().node() + ", "
                                + archive.archiver().restarts() + " restarts, lag "
                                + Text.bytes(archive.archiver().lagBytes()) + " at "
                                + Text.time(archive.archiver().updatedAt());
                out.printf(
                        "WAL archive: %d segments (%s), %s to %s, newest commit %s, %s%n",
                        archive.segments(),
                        Text.bytes(archive.sizeBytes()),
                        Text.text(archive.oldestSegment()),
                        Text.text(archive.newestSegment()),
                        Text.time(archive.newestCommit()),
                        archiver);
                if (!archive.gaps().isEmpty()) {
                    out.println("WAL archive gaps: " + String.join(", ", archive.gaps()));
                }
            }
            BackupReport.SlotView slot = report.slot();
            if (slot != null) {
                out.println("replication slot " + slot.name() + ": "
                        + (slot.error() != null
                                ? "cannot be read (" + slot.error() + ")"
                                : !slot.exists()
                                        ? "none on the source"
                                        : (slot.active() ? "active" : "inactive") + ", retains "
                                                + Text.bytes(slot.retainedBytes()) + " of at most "
                                                + Text.bytes(slot.maxRetainedBytes()) + " (backups.max-retained)"));
            }
            for (WalGap gap : report.gaps()) {
                out.println("window gap: forks cannot reach " + gap.describe());
            }
            return Cli.DONE;
        }
    }
}
