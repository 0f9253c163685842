package io.forkrunner.engine.postgresql;

import io.forkrunner.definition.ServiceDefinition;
import io.forkrunner.engine.ArchiveStream;
import io.forkrunner.engine.Endpoint;
import io.forkrunner.system.ChildProcess;
import io.forkrunner.system.Passfile;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.Properties;

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
        Properties properties = new Properties();
        properties.setProperty("user", source.user());
        if (source.password() != null) {
            properties.setProperty("password", source.password().reveal());
        }
        properties.setProperty("connectTimeout", "5");
        properties.setProperty("ApplicationName", "forkrunner");
        String url = "jdbc:postgresql://" + source.host() + ":" + source.port() + "/postgres";
        try (Connection connection = DriverManager.getConnection(url, properties);
                PreparedStatement statement =
                        connection.prepareStatement("select pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint"
                                + " from pg_replication_slots where slot_name = ?")) {
            statement.setString(1, slot);
            try (ResultSet row = statement.executeQuery()) {
                return row.next() ? OptionalLong.of(row.getLong(1)) : OptionalLong.empty();
            }
        } catch (SQLException e) {
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
