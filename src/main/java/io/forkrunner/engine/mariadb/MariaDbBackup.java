package io.forkrunner.engine.mariadb;

import io.forkrunner.system.Command;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.ProcessRunner;
import io.forkrunner.system.ServiceUser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Physical backups of a MariaDB server with mariadb-backup, run as the service user: taken from a running server
 * (which must be on this host: mariadb-backup copies its data directory), prepared so that they can be started as they
 * are, and laid down as a new instance's data directory.
 */
public final class MariaDbBackup {

    /**
     * Where mariadb-backup records the binlog position of the backup: newer versions write the first name, 10.11 (seen
     * here: 10.11.19) the second.
     */
    static final List<String> BINLOG_INFO_FILES = List.of("mariadb_backup_binlog_info", "xtrabackup_binlog_info");

    private final ProcessRunner runner;
    private final MariaDbBinaries binaries;

    public MariaDbBackup(ProcessRunner runner, MariaDbBinaries binaries) {
        this.runner = runner;
        this.binaries = binaries;
    }

    /**
     * Backs {@code source} up into {@code target}, a directory that must not exist yet (its parent is made the service
     * user's), logging in as {@code login} (through the server's socket is surest: the server whose data directory is
     * copied); then prepares the backup. Both tools' output goes to {@code log}. Returns the binlog position the backup
     * stands at, from which binary logs replay onto it.
     */
    public BinlogPosition backUp(MariaDbServer source, MariaDbLogin login, Path target, Path log) {
        return backUp(login, source.dataDirectory(), source.runDirectory(), target, log);
    }

    /**
     * Backs up the server {@code login} reaches, a server on this host whose data directory the service user reads:
     * {@code dataDirectory}, or the one the server names when null. The login's option file lies in
     * {@code optionDirectory} (the service user's) while the tool runs.
     */
    public BinlogPosition backUp(MariaDbLogin login, Path dataDirectory, Path optionDirectory, Path target, Path log) {
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new ForkrunnerException(
                    "backup directory " + target + " exists already; a backup goes into a new one");
        }
        ServiceUser user = runner.serviceUser();
        user.privateDirectory(target.getParent());
        try (OptionFile options = OptionFile.client(optionDirectory, user, login)) {
            List<String> argv = new ArrayList<>(
                    List.of(binaries.backup().toString(), options.argument(), "--backup", "--target-dir=" + target));
            if (dataDirectory != null) {
                argv.add("--datadir=" + dataDirectory);
            }
            runner.run(Command.of(argv).asServiceUser().loggingTo(log));
        }
        prepare(target, log);
        return position(target);
    }

    /** Applies the backup's redo log to its files ({@code --prepare}), so that a server starts on them as they are. */
    public void prepare(Path backup, Path log) {
        runner.run(Command.of(binaries.backup().toString(), "--no-defaults", "--prepare", "--target-dir=" + backup)
                .asServiceUser()
                .loggingTo(log));
    }

    /** The binlog position a backup records, from whichever of {@link #BINLOG_INFO_FILES} this version wrote. */
    public static BinlogPosition position(Path backup) {
        for (String name : BINLOG_INFO_FILES) {
            String text = ServiceUser.readIfExists(backup.resolve(name));
            if (!text.isBlank()) {
                return BinlogPosition.parse(text, backup.resolve(name).toString());
            }
        }
        throw new ForkrunnerException("the backup " + backup + " records no binlog position (no " + BINLOG_INFO_FILES
                + "): was its source started with --log-bin?");
    }

    /**
     * Lays the prepared {@code backup} down as the data directory of {@code target}, a stopped instance whose data
     * directory is missing or empty, with {@code --copy-back}, as the service user (who then owns every file). Starting
     * {@code target} afterwards gives the source as it was at the backup's binlog position.
     */
    public void layDown(Path backup, MariaDbServer target, Path log) {
        if (target.isRunning()) {
            throw new ForkrunnerException("cannot lay a backup down into " + target.directory() + ": its server runs");
        }
        Path data = target.dataDirectory();
        if (!isMissingOrEmpty(data)) {
            throw new ForkrunnerException("cannot lay a backup down into " + data + ": it is not empty. Forkrunner lays"
                    + " backups down only into a new instance; nothing was changed");
        }
        ServiceUser user = runner.serviceUser();
        user.privateDirectory(target.directory());
        runner.run(Command.of(
                        binaries.backup().toString(),
                        "--no-defaults",
                        "--copy-back",
                        "--target-dir=" + backup,
                        "--datadir=" + data)
                .asServiceUser()
                .loggingTo(log));
        user.own(data);
    }

    private static boolean isMissingOrEmpty(Path directory) {
        if (!Files.exists(directory, LinkOption.NOFOLLOW_LINKS)) {
            return true;
        }
        if (!Files.isDirectory(directory, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        try (Stream<Path> entries = Files.list(directory)) {
            return entries.findAny().isEmpty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + directory, e);
        }
    }
}
