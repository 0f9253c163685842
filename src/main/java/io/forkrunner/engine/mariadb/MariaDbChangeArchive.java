package io.forkrunner.engine.mariadb;

import io.forkrunner.definition.ServiceDefinition;
import io.forkrunner.engine.Archive;
import io.forkrunner.engine.ArchiveStream;
import io.forkrunner.engine.ChangeArchive;
import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.ReplicationSlot;
import io.forkrunner.system.ProcessRunner;
import io.forkrunner.system.Secret;
import java.nio.file.Path;
import java.util.Optional;

/**
 * MariaDB's change archive: the source's binary logs, copied as they are written by {@link MariaDbBinlogStream} and
 * read as a {@link MariaDbBinlogArchive}. MariaDB has no replication slots: the source keeps its binlogs by its own
 * expiry ({@code binlog_expire_logs_seconds}), not for the stream, so there is no slot to name, read or drop.
 */
public final class MariaDbChangeArchive implements ChangeArchive {

    private final ProcessRunner runner;
    private final MariaDbBinaries binaries;

    public MariaDbChangeArchive(ProcessRunner runner, MariaDbBinaries binaries) {
        this.runner = runner;
        this.binaries = binaries;
    }

    /**
     * The stream of {@code service} into {@code archive}, under the service's own server id; its option file lies in
     * {@code ARCHIVE.run} beside the archive, so that the archive holds binlogs only.
     */
    @Override
    public ArchiveStream stream(ServiceDefinition service, Endpoint source, Path archive, Path log) {
        MariaDbLogin login = MariaDbLogin.tcp(
                source.host(),
                source.port(),
                source.user(),
                source.password() == null ? new Secret("") : source.password());
        return new MariaDbBinlogStream(
                runner,
                binaries,
                login,
                MariaDbBinlogStream.serverId(service.name()),
                archive,
                runDirectory(archive),
                log);
    }

    /** Where the stream of {@code archive} keeps its option file: {@code ARCHIVE.run} beside it. */
    static Path runDirectory(Path archive) {
        Path absolute = archive.toAbsolutePath().normalize();
        return absolute.resolveSibling(absolute.getFileName() + ".run");
    }

    @Override
    public Archive read(Path directory) {
        return new MariaDbBinlogArchive(directory, runner, binaries);
    }

    @Override
    public Optional<String> slotName(String service) {
        return Optional.empty();
    }

    @Override
    public Optional<ReplicationSlot> slot(Endpoint source, String slot) {
        return Optional.empty();
    }

    /** Nothing: MariaDB keeps no slot for the stream. */
    @Override
    public void dropSlot(Endpoint source, String slot) {}
}
