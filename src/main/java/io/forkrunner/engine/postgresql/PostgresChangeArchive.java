package io.forkrunner.engine.postgresql;

import io.forkrunner.definition.ServiceDefinition;
import io.forkrunner.engine.Archive;
import io.forkrunner.engine.ArchiveStream;
import io.forkrunner.engine.ChangeArchive;
import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.ReplicationSlot;
import java.nio.file.Path;
import java.util.Optional;

/** A WAL archive streamed by pg_receivewal through a replication slot of its own on the source. */
final class PostgresChangeArchive implements ChangeArchive {

    private final PostgresEngine engine;

    PostgresChangeArchive(PostgresEngine engine) {
        this.engine = engine;
    }

    @Override
    public ArchiveStream stream(ServiceDefinition service, Endpoint source, Path archive, Path log) {
        return new PostgresArchiveStream(engine, service, source, archive, log);
    }

    @Override
    public Archive read(Path directory) {
        return new PostgresWalArchive(directory, engine.runner(), engine.tools());
    }

    @Override
    public Optional<String> slotName(String service) {
        return Optional.of(PostgresArchiveStream.slotName(service));
    }

    @Override
    public Optional<ReplicationSlot> slot(Endpoint source, String slot) {
        return new PostgresSlots(engine).find(source, slot);
    }

    @Override
    public void dropSlot(Endpoint source, String slot) {
        new PostgresSlots(engine).drop(source, slot);
    }
}
