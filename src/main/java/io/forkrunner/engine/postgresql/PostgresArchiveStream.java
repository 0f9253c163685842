package io.forkrunner.engine.postgresql;

import io.forkrunner.definition.ServiceDefinition;
import io.forkrunner.engine.ArchiveStream;
import io.forkrunner.engine.Endpoint;
import io.forkrunner.system.ChildProcess;
import io.forkrunner.system.Passfile;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalLong;

/**
 * pg_receivewal on a physical replication slot of the source, so that no WAL is missed while it is down: a restart
 * continues where the archive ends. It exits when the connection drops ({@code --no-loop}); its supervisor restarts it.
 */
final class PostgresArchiveStream implements ArchiveStream {

    private final PostgresEngine engine;
    private final Endpoint source;
    private final Path archive;
    private final Path log;
    private final String slot;
    private Passfile passfile;

    PostgresArchiveStream(PostgresEngine engine, ServiceDefinition service, Endpoint source, Path archive, Path log) {
        this.engine = engine;
        this.source = source;
        this.archive = archive;
        this.log = log;
        this.slot = slotName(service.name());
    }

    /** The slot forkrunner keeps on the source for a service's archive: {@code forkrunner_SERVICE}. */
    static String slotName(String service) {
        return "forkrunner_" + service.replace('-', '_');
    }

    @Override
    public ChildProcess start() {
        close();
        engine.runner().serviceUser().privateDirectory(archive);
        passfile = engine.passfile(source);
        engine.runner()
                .run(engine.clientCommand(
                                source, passfile, "pg_receivewal", "--slot=" + slot, "--create-slot", "--if-not-exists")
                        .loggingTo(log)
                        .withTimeout(Duration.ofMinutes(2)));
        return engine.runner()
                .start(engine.clientCommand(
                                source,
                                passfile,
                                "pg_receivewal",
                                "--directory=" + archive,
                                "--slot=" + slot,
                                "--synchronous",
                                "--no-loop",
                                "--status-interval=1",
                                "--verbose")
                        .loggingTo(log));
    }

    @Override
    public OptionalLong lagBytes() {
        try {
            return new PostgresSlots(engine)
                    .find(source, slot)
                    .map(found -> OptionalLong.of(found.retainedBytes()))
                    .orElse(OptionalLong.empty());
        } catch (RuntimeException e) {
            return OptionalLong.empty();
        }
    }

    @Override
    public void close() {
        if (passfile != null) {
            passfile.close();
            passfile = null;
        }
    }
}
