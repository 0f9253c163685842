package io.forkrunner.testing;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.UUID;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * Fresh metadata databases for tests: on a Testcontainers PostgreSQL where a Docker daemon answers, otherwise on the
 * machine's PostgreSQL named by {@code FORKRUNNER_TEST_PG} (default {@code 127.0.0.1:5432}, user postgres).
 */
public final class MetadataDatabases {

    private static PostgreSQLContainer container;

    private MetadataDatabases() {}

    /** A JDBC URL and login of a new, empty database. */
    public record Database(String url, String user, String password, String name) {}

    public static synchronized Database create() {
        String name = "fr_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        String server = server();
        execute(server + "postgres", "create database " + name);
        return new Database(server + name, user(), password(), name);
    }

    public static void drop(Database database) {
        execute(server() + "postgres", "drop database if exists " + database.name() + " with (force)");
    }

    private static String server() {
        if (dockerAnswers()) {
            if (container == null) {
                container = new PostgreSQLContainer("postgres:15");
                container.start();
            }
            return "jdbc:postgresql://" + container.getHost() + ":" + container.getMappedPort(5432) + "/";
        }
        String hostPort = System.getenv().getOrDefault("FORKRUNNER_TEST_PG", "127.0.0.1:5432");
        return "jdbc:postgresql://" + hostPort + "/";
    }

    private static boolean dockerAnswers() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static String user() {
        return container != null ? container.getUsername() : "postgres";
    }

    private static String password() {
        return container != null ? container.getPassword() : null;
    }

    private static void execute(String url, String sql) {
        Properties properties = new Properties();
        properties.setProperty("ApplicationName", "forkrunner-test");
        properties.setProperty("user", user());
        if (password() != null) {
            properties.setProperty("password", password());
        }
        try (Connection connection = DriverManager.getConnection(url, properties);
                Statement statement = connection.createStatement()) {
            statement.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot run \"" + sql + "\" at " + url + ": " + e.getMessage(), e);
        }
    }
}
