package io.forkrunner.engine.mariadb;

import io.forkrunner.engine.ArchiveStream;
import io.forkrunner.system.ChildProcess;
import io.forkrunner.system.Command;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.ProcessRunner;
import io.forkrunner.system.ServiceUser;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.zip.CRC32;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code mariadb-binlog --read-from-remote-server --raw --stop-never} copying a source's binary logs, file by file and
 * byte for byte, into an archive directory, as the service user (who owns the directory). It connects like a replica
 * under a server id of its own ({@link #serverId(String)}), with its login in a 0600 option file given as
 * {@code --defaults-file}. The source's login needs {@code REPLICATION SLAVE} (to stream) and {@code BINLOG MONITOR}
 * (to list its binlogs).
 *
 * <p>Where it starts: in a non-empty archive, at the start of its newest file, which may be partial (the previous
 * process died while writing it), so that file is fetched again whole and every complete file stays as it is. In an
 * empty archive, at the oldest binlog the source still holds: the archive then covers every backup whose position the
 * source has not purged yet, and {@code pruneBefore} trims what no backup needs. MariaDB keeps no slot for the stream:
 * what the source purges while the stream is down is lost. Then the stream starts at the source's oldest binlog and the
 * files in between are a gap that {@link MariaDbBinlogArchive#gapsFrom} reports. A source whose binlogs all lie below
 * the archive's newest file (a {@code RESET MASTER}) is refused: streaming it would overwrite archived files.
 *
 * <p>mariadb-binlog names the files it writes after the source's rotate events; it runs as the service user, never as
 * root, so it can write nowhere the service user cannot.
 */
public final class MariaDbBinlogStream implements ArchiveStream {

    private static final Logger log = LoggerFactory.getLogger(MariaDbBinlogStream.class);
    /** Stream server ids lie in 2^31 .. 2^31 + 2^30 - 1, far above the ids sources and replicas are usually given. */
    private static final long SERVER_ID_BASE = 1L << 31;

    private static final long SERVER_ID_SPAN = 1L << 30;

    private final ProcessRunner runner;
    private final MariaDbBinaries binaries;
    private final MariaDbLogin source;
    private final long serverId;
    private final Path archive;
    private final Path runDirectory;
    private final Path logFile;
    private OptionFile options;

    /**
     * @param source how to log in to the source (over TCP)
     * @param serverId the server id the stream connects under ({@link #serverId(String)}); distinct per stream, since a
     *     source ends the older of two connections with one id
     * @param archive where the binlog files go; made the service user's, mode 0700
     * @param runDirectory where the option file with the login lies while the stream runs; made the service user's
     * @param logFile where mariadb-binlog's output goes
     */
    public MariaDbBinlogStream(
            ProcessRunner runner,
            MariaDbBinaries binaries,
            MariaDbLogin source,
            long serverId,
            Path archive,
            Path runDirectory,
            Path logFile) {
        if (serverId < 1 || serverId > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("a server id is in 1-4294967295, not " + serverId);
        }
        this.runner = runner;
        this.binaries = binaries;
        this.source = source;
        this.serverId = serverId;
        this.archive = archive.toAbsolutePath().normalize();
        this.runDirectory = runDirectory.toAbsolutePath().normalize();
        this.logFile = logFile;
    }

    /**
     * The server id of the stream of service {@code service}: the same on every restart (a restarted stream then ends
     * the connection its dead predecessor may have left), another for another service.
     */
    public static long serverId(String service) {
        CRC32 crc = new CRC32();
        crc.update(("forkrunner-binlog-stream:" + service).getBytes(StandardCharsets.UTF_8));
        return SERVER_ID_BASE + crc.getValue() % SERVER_ID_SPAN;
    }

    public long serverId() {
        return serverId;
    }

    /** Lists the source's binlogs, chooses where to start, and starts mariadb-binlog as the service user. */
    @Override
    public ChildProcess start() {
        close();
        ServiceUser user = runner.serviceUser();
        user.privateDirectory(archive);
        options = OptionFile.client(runDirectory, user, source);
        String first = firstFile(MariaDbBinlogArchive.list(archive), SourceBinlogs.read(runner, binaries, options));
        return runner.start(Command.of(
                        binaries.binlog().toString(),
                        options.argument(),
                        "--read-from-remote-server",
                        "--raw",
                        "--stop-never",
                        "--stop-never-slave-server-id=" + serverId,
                        "--result-file=" + archive + "/",
                        first)
                .asServiceUser()
                .loggingTo(logFile));
    }

    /** The binlog to stream from, as described in the class comment. */
    String firstFile(TreeMap<Long, MariaDbBinlogArchive.Archived> archived, SourceBinlogs onSource) {
        SourceBinlogs.Binlog oldest = onSource.oldest()
                .orElseThrow(() -> new ForkrunnerException("the source " + source + " lists no binary logs: start it"
                        + " with log-bin to archive its changes"));
        if (archived.isEmpty()) {
            return oldest.name().file();
        }
        BinlogName newest = archived.lastEntry().getValue().name();
        if (onSource.find(newest.file()).isPresent()) {
            return newest.file();
        }
        BinlogName sourceNewest = onSource.newest().orElseThrow().name();
        if (sourceNewest.sequence() <= newest.sequence() || !sourceNewest.base().equals(newest.base())) {
            throw new ForkrunnerException("the source " + source + " holds the binlogs " + oldest.name() + " to "
                    + sourceNewest + ", none after the archive's newest " + newest + " in " + archive
                    + ": were its binlogs reset (RESET MASTER) or renamed? Streaming them would overwrite archived"
                    + " files. Move the archive aside and take a new backup.");
        }
        log.warn(
                "the source {} no longer holds {}, the newest binlog in {}: streaming from its oldest, {}; the binlogs"
                        + " in between are lost (a gap in the archive)",
                source,
                newest,
                archive,
                oldest.name());
        return oldest.name().file();
    }

    /**
     * How many bytes the source's binlogs hold beyond the archive: the rest of the archive's newest file and every later
     * one, from {@code SHOW BINARY LOGS} (whose last row is {@code SHOW MASTER STATUS}'s file and position). Empty when
     * unknown: the stream is not started, the archive is empty, the source is unreachable or no longer holds the
     * archive's newest file.
     */
    @Override
    public OptionalLong lagBytes() {
        if (options == null) {
            return OptionalLong.empty();
        }
        try {
            Optional<Map.Entry<Long, MariaDbBinlogArchive.Archived>> newest =
                    Optional.ofNullable(MariaDbBinlogArchive.list(archive).lastEntry());
            if (newest.isEmpty()) {
                return OptionalLong.empty();
            }
            MariaDbBinlogArchive.Archived file = newest.get().getValue();
            return SourceBinlogs.read(runner, binaries, options)
                    .bytesAfter(file.name().file(), file.size());
        } catch (RuntimeException e) {
            return OptionalLong.empty();
        }
    }

    /** Deletes the option file with the login. */
    @Override
    public void close() {
        if (options != null) {
            options.close();
            options = null;
        }
    }
}
