package io.forkrunner.engine.mariadb;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkrunner.system.ProcessRunner;
import io.forkrunner.system.Secret;
import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestHome;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * A MariaDB source a test starts under its home ({@code var/sources/NAME}), never the machine's own: root's password
 * kept in {@code var/secrets/NAME} for services.yml, and SQL helpers for it and for its forks.
 */
public final class MariaDbTestSource implements AutoCloseable {

    final MariaDbServer server;
    public final int port;
    final String password;

    private MariaDbTestSource(MariaDbServer server, int port, String password) {
        this.server = server;
        this.port = port;
        this.password = password;
    }

    /** A new source named {@code name}, started with {@code options} (a small buffer pool unless they say else). */
    public static MariaDbTestSource start(TestHome home, String name, String password, Map<String, String> options) {
        MariaDbServer server = new MariaDbServer(
                new ProcessRunner(MariaDbServer.serviceUser()),
                MariaDbBinaries.debian(),
                home.path("var/sources/" + name));
        int port = Ports.one();
        server.initialize(new Secret(password));
        Map<String, String> all = new LinkedHashMap<>(Map.of("innodb-buffer-pool-size", "64M"));
        all.putAll(options);
        server.start(port, 1, all);
        home.write("var/secrets/" + name, password);
        return new MariaDbTestSource(server, port, password);
    }

    /** The declaration of the service {@code name} in services.yml, logging in as root. */
    String serviceYaml(String name, String region, String backups) {
        return """
                  %s:
                    engine: mariadb
                    region: %s
                    host: 127.0.0.1
                    port: %d
                    user: root
                    password: ${file:var/secrets/%s}
                    backups: %s
                """.formatted(name, region, port, name, backups);
    }

    /** Runs each statement as root. */
    public void sql(String... statements) throws SQLException {
        try (Connection root = connect(port, null, "root", password);
                Statement statement = root.createStatement()) {
            for (String each : statements) {
                statement.execute(each);
            }
        }
    }

    /** The first column of every row {@code sql} returns on this source, as text. */
    public List<String> column(String database, String sql) throws SQLException {
        return column(port, database, "root", password, sql);
    }

    /** The first column of every row {@code sql} returns on the server at {@code serverPort}, as root. */
    List<String> columnOn(int serverPort, String database, String sql) throws SQLException {
        return column(serverPort, database, "root", password, sql);
    }

    static List<String> column(int port, String database, String user, String password, String sql)
            throws SQLException {
        List<String> values = new ArrayList<>();
        try (Connection connection = connect(port, database, user, password);
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery(sql)) {
            while (rows.next()) {
                values.add(rows.getString(1));
            }
        }
        return values;
    }

    static Connection connect(int port, String database, String user, String password) throws SQLException {
        Properties login = new Properties();
        login.setProperty("user", user);
        login.setProperty("password", password);
        Connection connection = DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + port + "/", login);
        if (database != null) {
            connection.setCatalog(database);
        }
        return connection;
    }

    /**
     * {@code mariadb-dump --no-data --routines --events --triggers} of {@code databases} on the server at
     * {@code serverPort} (as root with this source's password, which its forks share), without comments.
     */
    String schema(int serverPort, String... databases) throws Exception {
        Path options = Files.createTempFile(
                "dump", ".cnf", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            Files.writeString(
                    options,
                    "[client]\nhost=127.0.0.1\nport=" + serverPort + "\nuser=root\npassword=\""
                            + password.replace("\\", "\\\\").replace("\"", "\\\"") + "\"\n");
            List<String> argv = new ArrayList<>(List.of(
                    "mariadb-dump",
                    "--defaults-file=" + options,
                    "--no-data",
                    "--routines",
                    "--events",
                    "--triggers",
                    "--skip-comments"));
            argv.add(databases.length > 1 ? "--databases" : "--");
            argv.addAll(List.of(databases));
            Process dump = new ProcessBuilder(argv).redirectErrorStream(true).start();
            String text = new String(dump.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(dump.waitFor()).as(text).isZero();
            return text;
        } finally {
            Files.delete(options);
        }
    }

    @Override
    public void close() {
        server.stop();
    }
}
