package io.forkrunner.testing;

import io.forkrunner.engine.postgresql.PostgresBinaries;
import io.forkrunner.engine.postgresql.PostgresServer;
import io.forkrunner.system.ProcessRunner;
import io.forkrunner.system.Secret;
import io.forkrunner.system.ServiceUser;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Properties;

/**
 * A real PostgreSQL server that tests use as a source service: {@code wal_level = logical}, the superuser
 * {@code postgres} with a password (scram-sha-256 on 127.0.0.1), under the test home's {@code var/sources/NAME}.
 */
public final class TestSource {

    private final String name;
    private final PostgresServer server;
    private final int port;
    private final String password;

    private TestSource(String name, PostgresServer server, int port, String password) {
        this.name = name;
        this.server = server;
        this.port = port;
        this.password = password;
    }

    public static TestSource start(TestHome home, String name, String password) {
        return start(home, name, new Secret(password));
    }

    /** A source whose {@code postgres} login needs no password (trust on 127.0.0.1), declared without one. */
    public static TestSource startWithoutPassword(TestHome home, String name) {
        return start(home, name, (Secret) null);
    }

    private static TestSource start(TestHome home, String name, Secret password) {
        int port = Ports.one();
        PostgresServer server = new PostgresServer(
                new ProcessRunner(ServiceUser.detect()), PostgresBinaries.newest(), home.path("var/sources/" + name));
        server.initialize(
                port,
                password,
                Map.of(
                        "wal_level", "logical",
                        "max_wal_senders", "10",
                        "max_replication_slots", "10",
                        "fsync", "off"));
        server.start();
        home.adopt(server);
        if (password == null) {
            return new TestSource(name, server, port, null);
        }
        home.write("var/secrets/" + name, password.reveal());
        return new TestSource(name, server, port, password.reveal());
    }

    /**
     * Makes the server offer TLS with a new self-signed certificate for {@code host}, made by {@code openssl} as the
     * service user in the data directory, and {@code ssl = on}, taken on a reload. Returns the certificate, its own
     * authority.
     */
    public String offerTls(String host) {
        String authority =
                TestCertificates.selfSigned(server.dataDirectory(), host, true).pem();
        sql("alter system set ssl = on");
        sql("select pg_reload_conf()");
        return authority;
    }

    public int port() {
        return port;
    }

    public String password() {
        return password;
    }

    public PostgresServer server() {
        return server;
    }

    /** The declaration of this source as service NAME in {@code config/services.yml}; its password in a file. */
    public String serviceYaml(String region, String backups) {
        return serviceYamlAs(name, region, backups);
    }

    /** The declaration of this source as one more service, {@code service}; its password in the same file. */
    public String serviceYamlAs(String service, String region, String backups) {
        return """
                  %s:
                    engine: postgresql
                    region: %s
                    host: 127.0.0.1
                    port: %d
                    user: postgres
                """.formatted(service, region, port)
                + (password == null ? "" : "    password: ${file:var/secrets/" + name + "}\n")
                + "    backups: " + backups + "\n";
    }

    /**
     * What {@link #serviceYaml} ends with to give the service one pool, {@code app}: {@code size} connections of the
     * role {@code app} to the database {@code shop}, in transaction mode.
     */
    public static String appPool(int size) {
        return """
                    pools:
                      - { name: app, database: shop, user: app, mode: transaction, size: %d }
                """.formatted(size);
    }

    public Connection connect(String database) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", "postgres");
        if (password != null) {
            properties.setProperty("password", password);
        }
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/" + database, properties);
    }

    /** Runs SQL on the {@code postgres} database and returns the first column of the last result's first row, or null. */
    public String sql(String sql) {
        try (Connection connection = connect("postgres");
                Statement statement = connection.createStatement()) {
            String value = null;
            boolean isResult = statement.execute(sql);
            while (isResult || statement.getUpdateCount() != -1) {
                if (isResult) {
                    try (ResultSet rows = statement.getResultSet()) {
                        value = rows.next() ? rows.getString(1) : null;
                    }
                }
                isResult = statement.getMoreResults();
            }
            return value;
        } catch (SQLException e) {
            throw new IllegalStateException("SQL failed on the test source: " + sql + ": " + e.getMessage(), e);
        }
    }
}
