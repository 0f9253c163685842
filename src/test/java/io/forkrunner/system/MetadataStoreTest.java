package io.forkrunner.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.forkrunner.definition.Settings;
import io.forkrunner.engine.postgresql.PostgresBinaries;
import io.forkrunner.engine.postgresql.PostgresServer;
import io.forkrunner.testing.TestHome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MetadataStoreTest {

    /** Nothing listens on port 1 of the loopback address. */
    private static final String NOTHING_ANSWERS = "jdbc:postgresql://127.0.0.1:1/forkrunner";

    private final ProcessRunner runner = new ProcessRunner(ServiceUser.detect());
    private TestHome testHome;
    private Secrets secrets;

    @BeforeEach
    void createHome() {
        testHome = TestHome.create("metadata-store");
        secrets = new Secrets(testHome.home(), Map.of());
    }

    @AfterEach
    void closeHome() {
        new PostgresServer(runner, PostgresBinaries.newest(), ownInstanceDirectory()).stop();
        testHome.close();
    }

    @Test
    void theConfiguredDatabaseIsCreatedWhenItIsMissing() throws SQLException {
        String database = "fr_test_created_"
                + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        String url = "jdbc:postgresql://127.0.0.1:5432/" + database;
        try {
            assertThat(databaseExists(database)).isFalse();

            MetadataStore.Location location = MetadataStore.prepare(
                    testHome.home(), new Settings.Metadata(url, "postgres", null, true), secrets, runner);

            assertThat(location.url()).isEqualTo(url);
            assertThat(databaseExists(database)).isTrue();
            assertThat(query(location.url(), "select current_database()")).isEqualTo(database);
            assertThat(ownInstanceDirectory()).doesNotExist();
        } finally {
            execute("jdbc:postgresql://127.0.0.1:5432/postgres", "drop database if exists " + database);
        }
    }

    @Test
    void withNothingConfiguredAndNothingAnsweringForkrunnerStartsItsOwnInstanceAndReusesIt() throws Exception {
        Settings.Metadata unconfigured = new Settings.Metadata(NOTHING_ANSWERS, "postgres", null, false);

        MetadataStore.Location first = MetadataStore.prepare(testHome.home(), unconfigured, secrets, runner);

        assertThat(first.url()).doesNotContain(":1/");
        assertThat(query(first.url(), "select current_database()")).isEqualTo("forkrunner");
        assertThat(Path.of(query(first.url(), "show data_directory")))
                .isEqualTo(ownInstanceDirectory().resolve("data"));
        String postmaster = postmasterPid();

        MetadataStore.Location second = MetadataStore.prepare(testHome.home(), unconfigured, secrets, runner);

        assertThat(second.url()).isEqualTo(first.url());
        assertThat(postmasterPid()).as("the same server, not a new one").isEqualTo(postmaster);
        assertThat(query(second.url(), "select current_database()")).isEqualTo("forkrunner");
    }

    @Test
    void aConfiguredStoreThatDoesNotAnswerFailsNamingItAndWhatToDo() {
        Settings.Metadata configured = new Settings.Metadata(NOTHING_ANSWERS, "postgres", null, true);

        ForkrunnerException failure = catchThrowableOfType(
                ForkrunnerException.class, () -> MetadataStore.prepare(testHome.home(), configured, secrets, runner));

        assertThat(failure).isNotNull();
        assertThat(failure.getMessage())
                .contains(NOTHING_ANSWERS, "does not answer", "config/forkrunner.yml", "start that server");
        assertThat(ownInstanceDirectory()).as("no instance of its own instead").doesNotExist();
    }

    private Path ownInstanceDirectory() {
        return testHome.home().var().resolve("metadata");
    }

    private String postmasterPid() throws Exception {
        return Files.readAllLines(ownInstanceDirectory().resolve("data/postmaster.pid"))
                .get(0);
    }

    private static boolean databaseExists(String name) throws SQLException {
        return "1"
                .equals(query(
                        "jdbc:postgresql://127.0.0.1:5432/postgres",
                        "select 1 from pg_database where datname = '" + name + "'"));
    }

    private static String query(String url, String sql) throws SQLException {
        try (Connection connection = DriverManager.getConnection(url, "postgres", null);
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery(sql)) {
            return rows.next() ? rows.getString(1) : null;
        }
    }

    private static void execute(String url, String sql) throws SQLException {
        try (Connection connection = DriverManager.getConnection(url, "postgres", null);
                Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }
}
