package io.forkrunner.engine.mariadb;

import io.forkrunner.system.Command;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.ProcessRunner;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * Point in time for MariaDB: replays archived binary logs onto a running server, from a backup's position up to a stop
 * time. {@code mariadb-binlog} reads the files and its output is piped (no shell) into the {@code mariadb} client of
 * the target. Both run as the service user.
 */
public final class BinlogReplay {

    /** {@code --stop-datetime}'s format; mariadb-binlog reads it in its own time zone, which is set to UTC. */
    private static final DateTimeFormatter STOP_TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);

    private final ProcessRunner runner;
    private final MariaDbBinaries binaries;

    public BinlogReplay(ProcessRunner runner, MariaDbBinaries binaries) {
        this.runner = runner;
        this.binaries = binaries;
    }

    /**
     * What to replay: {@code files} in order from {@code start}, up to {@code stop} (null: to their end). {@code start}
     * is a byte position, which applies to the first file only (a backup's {@link BinlogPosition#position()}), or a GTID
     * position, exclusive, which applies to every file: only transactions after it are replayed. Binlog events carry whole
     * seconds: events stamped in {@code stop}'s second or before are replayed, later ones are not. A transaction
     * committed in that second after {@code stop} is replayed too: a time is kept to the second (a fork to the newest
     * commit, {@code latest}, holds every transaction of that second).
     */
    public record Range(List<Path> files, String start, Instant stop) {

        public Range {
            files = List.copyOf(files);
            if (files.isEmpty()) {
                throw new IllegalArgumentException("nothing to replay: no binlog files");
            }
            for (Path file : files) {
                if (!file.isAbsolute()) {
                    throw new IllegalArgumentException("binlog files are given by absolute paths, not " + file);
                }
            }
            if (start == null
                    || !(start.matches("[0-9]{1,18}") && Long.parseLong(start) >= BinlogPosition.FIRST_EVENT
                            || start.matches("[0-9]+-[0-9]+-[0-9]+(,[0-9]+-[0-9]+-[0-9]+)*"))) {
                throw new IllegalArgumentException("not a binlog position nor a GTID position: " + start);
            }
        }

        /** From a backup's position through the archived binlogs that follow it, up to {@code stop}. */
        public static Range after(BinlogPosition backup, List<Path> archived, Instant stop) {
            return new Range(backup.from(archived), String.valueOf(backup.position()), stop);
        }

        /**
         * {@code --stop-datetime}'s value, which mariadb-binlog excludes: the second after {@code stop}'s, in UTC; empty
         * for no stop.
         */
        String stopDatetime() {
            return stop == null
                    ? ""
                    : STOP_TIME.format(stop.truncatedTo(ChronoUnit.SECONDS).plusSeconds(1));
        }
    }

    /**
     * Replays {@code range} onto the server {@code target} logs in to, with an option file for its login in
     * {@code directory} (the service user's, deleted afterwards). The output of both programs goes to {@code log}. A
     * failing statement stops the replay and fails it, naming the client's last output.
     */
    public void replay(Range range, MariaDbLogin target, Path directory, Path log) {
        try (OptionFile options = OptionFile.client(directory, runner.serviceUser(), target)) {
            runner.pipe(
                    reader(range).asServiceUser().loggingTo(log),
                    Command.of(
                                    binaries.client().toString(),
                                    options.argument(),
                                    "--binary-mode",
                                    "--batch",
                                    "--skip-reconnect")
                            .asServiceUser()
                            .loggingTo(log));
        } catch (ForkrunnerException e) {
            throw new ForkrunnerException(
                    "replaying the binlogs " + range.files() + " onto " + target + " up to " + range.stop()
                            + " failed: " + e.getMessage(),
                    e);
        }
    }

    /** mariadb-binlog over the range, its time zone UTC. */
    Command reader(Range range) {
        List<String> argv = new ArrayList<>(
                List.of(binaries.binlog().toString(), "--no-defaults", "--start-position=" + range.start()));
        if (range.stop() != null) {
            argv.add("--stop-datetime=" + range.stopDatetime());
        }
        range.files().forEach(file -> argv.add(file.toString()));
        return Command.of(argv).withEnvironment("TZ", "UTC");
    }
}
