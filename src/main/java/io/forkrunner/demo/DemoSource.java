package io.forkrunner.demo;

import io.forkrunner.engine.postgresql.PostgresBinaries;
import io.forkrunner.engine.postgresql.PostgresServer;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.ProcessRunner;
import io.forkrunner.system.Secret;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Properties;

/**
 * The demo's source: a PostgreSQL server of its own under the demo home, made once and reused, with a superuser
 * password and an application role whose passwords are kept in 0600 files of the demo home.
 */
final class DemoSource {

    static final int FIRST_PORT = 16480;

    private final PostgresServer server;
    private final Path secrets;
    private final int port;

    private DemoSource(PostgresServer server, Path secrets, int port) {
        this.server = server;
        this.secrets = secrets;
        this.port = port;
    }

    /** The demo source in {@code home}, made when missing and started when stopped; true in {@code made} when new. */
    static DemoSource prepare(Path home, ProcessRunner runner) {
        Path directory = home.resolve("var/source");
        Path secrets = home.resolve("var/secrets");
        PostgresServer server = new PostgresServer(runner, PostgresBinaries.newest(), directory);
        try {
            Files.createDirectories(secrets);
            Path portFile = directory.resolve("port");
            if (!Files.exists(server.dataDirectory().resolve("PG_VERSION")) || !Files.exists(portFile)) {
                int port = freePort();
                writeSecret(secrets.resolve("source"), newPassword());
                writeSecret(secrets.resolve("app"), newPassword());
                server.initialize(
                        port,
                        new Secret(read(secrets.resolve("source"))),
                        Map.of("wal_level", "replica", "max_wal_senders", "10", "max_replication_slots", "10"));
                Files.writeString(portFile, port + "\n");
            }
            int port = Integer.parseInt(Files.readString(portFile).strip());
            if (!server.isRunning()) {
                server.start();
            }
            return new DemoSource(server, secrets, port);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the demo source in " + directory, e);
        }
    }

    int port() {
        return port;
    }

    Path passwordFile(String role) {
        return secrets.resolve(role);
    }

    Connection connect(String database) throws SQLException {
        Properties login = new Properties();
        login.setProperty("user", "postgres");
        login.setProperty("password", read(secrets.resolve("source")));
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/" + database, login);
    }

    String appPassword() {
        return read(secrets.resolve("app"));
    }

    private static String newPassword() {
        byte[] bytes = new byte[12];
        new SecureRandom().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    private static void writeSecret(Path file, String value) throws IOException {
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, value);
    }

    private static String read(Path file) {
        try {
            return Files.readString(file).strip();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private static int freePort() {
        for (int port = FIRST_PORT; port < FIRST_PORT + 20; port++) {
            try (ServerSocket ignored = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                return port;
            } catch (IOException taken) {
                // next one
            }
        }
        throw new ForkrunnerException(
                "no free port in " + FIRST_PORT + "-" + (FIRST_PORT + 19) + " for the demo source");
    }
}
