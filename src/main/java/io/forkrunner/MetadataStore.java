package io.forkrunner;

import io.forkrunner.definition.Settings;
import io.forkrunner.engine.postgresql.PostgresBinaries;
import io.forkrunner.engine.postgresql.PostgresServer;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.Home;
import io.forkrunner.system.PasswordFile;
import io.forkrunner.system.ProcessRunner;
import io.forkrunner.system.Secret;
import io.forkrunner.system.Secrets;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Properties;
import org.postgresql.Driver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds forkrunner's metadata store before anything uses it: the configured PostgreSQL database, created when
 * missing; with nothing configured, the default one, or an instance of forkrunner's own under {@code var/metadata}
 * when nothing answers there. That instance asks for a password (scram-sha-256) it generated, kept in
 * {@code var/metadata.password} (mode 0600).
 */
public final class MetadataStore {

    private static final Logger log = LoggerFactory.getLogger(MetadataStore.class);
    private static final String SQLSTATE_NO_DATABASE = "3D000";
    private static final int FIRST_OWN_PORT = 15432;
    /** Under {@code var/}: the password of forkrunner's own metadata instance, mode 0600. */
    public static final String PASSWORD_FILE = "metadata.password";

    private MetadataStore() {}

    /** Where to connect: a JDBC URL and the login. */
    public record Location(String url, String user, Secret password) {}

    public static Location prepare(Home home, Settings.Metadata metadata, Secrets secrets, ProcessRunner runner) {
        Secret password = metadata.password() == null ? null : secrets.resolve(metadata.password());
        Location configured = new Location(metadata.url(), metadata.user(), password);
        try {
            ensureDatabase(configured);
            return configured;
        } catch (SQLException e) {
            if (metadata.configured() || !refused(e)) {
                throw new ForkrunnerException(
                        "the metadata store " + metadata.url() + " does not answer: " + e.getMessage()
                                + ". Check config/forkrunner.yml metadata, or start that server.",
                        e);
            }
        }
        log.info("nothing answers at {}: using forkrunner's own PostgreSQL under {}", metadata.url(), home.var());
        Location own = startOwnInstance(home, runner);
        try {
            ensureDatabase(own);
        } catch (SQLException e) {
            throw new ForkrunnerException(
                    "forkrunner's own metadata instance at " + own.url() + " does not answer: " + e.getMessage(), e);
        }
        return own;
    }

    private static boolean refused(SQLException e) {
        return e.getSQLState() != null && e.getSQLState().startsWith("08");
    }

    /** Connects to the database, creating it from the server's {@code postgres} database when it is missing. */
    private static void ensureDatabase(Location location) throws SQLException {
        try (Connection ignored = connect(location.url(), location)) {
            return;
        } catch (SQLException e) {
            if (!SQLSTATE_NO_DATABASE.equals(e.getSQLState())) {
                throw e;
            }
        }
        Properties parts = Driver.parseURL(location.url(), null);
        String database = parts.getProperty("PGDBNAME");
        String maintenance =
                "jdbc:postgresql://" + parts.getProperty("PGHOST") + ":" + parts.getProperty("PGPORT") + "/postgres";
        try (Connection connection = connect(maintenance, location);
                Statement statement = connection.createStatement()) {
            statement.execute("CREATE DATABASE \"" + database.replace("\"", "\"\"") + "\"");
            log.info("created the metadata database {}", database);
        } catch (SQLException e) {
            if (!"42P04".equals(e.getSQLState())) { // another process created it first
                throw e;
            }
        }
    }

    private static Connection connect(String url, Location location) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", location.user());
        if (location.password() != null) {
            properties.setProperty("password", location.password().reveal());
        }
        properties.setProperty("connectTimeout", "10");
        return DriverManager.getConnection(url, properties);
    }

    private static Location startOwnInstance(Home home, ProcessRunner runner) {
        Path directory = home.var().resolve("metadata");
        home.createDirectories(home.var());
        try (FileChannel channel = FileChannel.open(
                        home.var().resolve("metadata.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock ignored = channel.lock()) {
            PostgresServer server = new PostgresServer(runner, PostgresBinaries.newest(), directory);
            Path portFile = home.var().resolve("metadata.port");
            Path passwordFile = home.var().resolve(PASSWORD_FILE);
            int port;
            Secret password;
            if (Files.exists(server.dataDirectory().resolve("PG_VERSION")) && Files.exists(portFile)) {
                port = Integer.parseInt(Files.readString(portFile).strip());
                password = Files.exists(passwordFile)
                        ? PasswordFile.read(passwordFile, "the password of forkrunner's own metadata instance")
                        : null;
            } else {
                port = freePort();
                password = PasswordFile.generate(passwordFile);
                server.initialize(port, password, Map.of());
                Files.writeString(portFile, port + "\n");
            }
            if (!server.isRunning()) {
                server.start();
            }
            if (password == null) { // made by a forkrunner that let anyone on this host in
                password = requirePassword(server, port, passwordFile);
            }
            return new Location("jdbc:postgresql://127.0.0.1:" + port + "/forkrunner", "postgres", password);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare forkrunner's own metadata instance in " + directory, e);
        }
    }

    /**
     * Gives an instance made without a password (an older forkrunner's: trust on 127.0.0.1) one of its own and makes it
     * ask for it (scram-sha-256) from now on.
     */
    private static Secret requirePassword(PostgresServer server, int port, Path passwordFile) throws IOException {
        Secret password = PasswordFile.generate(passwordFile);
        String url = "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
        try (Connection connection = connect(url, new Location(url, "postgres", null));
                Statement statement = connection.createStatement()) {
            statement.execute("set password_encryption = 'scram-sha-256'");
            statement.execute("alter role postgres password '" + password.reveal() + "'");
            server.requirePasswords();
            statement.execute("select pg_reload_conf()");
        } catch (SQLException e) {
            Files.deleteIfExists(passwordFile);
            throw new ForkrunnerException(
                    "cannot give forkrunner's own metadata instance at 127.0.0.1:" + port + " a password: "
                            + e.getMessage(),
                    e);
        }
        log.info("forkrunner's own metadata instance now asks for the password in {}", passwordFile);
        return password;
    }

    private static int freePort() {
        for (int port = FIRST_OWN_PORT; port < FIRST_OWN_PORT + 100; port++) {
            try (ServerSocket ignored = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                return port;
            } catch (IOException taken) {
                // try the next one
            }
        }
        throw new ForkrunnerException("no free port in " + FIRST_OWN_PORT + "-" + (FIRST_OWN_PORT + 99)
                + " for forkrunner's own metadata instance; configure metadata.url in config/forkrunner.yml");
    }
}
