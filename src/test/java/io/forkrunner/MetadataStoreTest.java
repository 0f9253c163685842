package io.forkrunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.forkrunner.definition.Settings;
import io.forkrunner.engine.postgresql.PostgresBinaries;
import io.forkrunner.engine.postgresql.PostgresServer;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.ProcessRunner;
import io.forkrunner.system.Secrets;
import io.forkrunner.system.ServiceUser;
import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestHome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MetadataStoreTest {

    /** A port of the loopback address where nothing listens. */
    private static final int NOTHING_LISTENS = Ports.one();

    private static final String NOTHING_ANSWERS = "jdbc:postgresql://127.0.0.1:" + NOTHING_LISTENS + "/forkrunner";

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
            assertThat(query(location, "select current_database()")).isEqualTo(database);
            assertThat(ownInstanceDirectory()).doesNotExist();
        } finally {
            execute("jdbc:postgresql://127.0.0.1:5432/postgres", "drop database if exists " + database);
        }
    }

    @Test
    void withNothingConfiguredAndNothingAnsweringForkrunnerStartsItsOwnInstanceAndReusesIt() throws Exception {
        Settings.Metadata unconfigured = new Settings.Metadata(NOTHING_ANSWERS, "postgres", null, false);

        MetadataStore.Location first = MetadataStore.prepare(testHome.home(), unconfigured, secrets, runner);

        assertThat(first.url()).doesNotContain(":" + NOTHING_LISTENS + "/");
        assertThat(query(first, "select current_database()")).isEqualTo("forkrunner");
        assertThat(Path.of(query(first, "show data_directory")))
                .isEqualTo(ownInstanceDirectory().resolve("data"));
        String postmaster = postmasterPid();

        MetadataStore.Location second = MetadataStore.prepare(testHome.home(), unconfigured, secrets, runner);

        assertThat(second.url()).isEqualTo(first.url());
        assertThat(postmasterPid()).as("the same server, not a new one").isEqualTo(postmaster);
        assertThat(query(second, "select current_database()")).isEqualTo("forkrunner");
    }

    @Test
    void forkrunnersOwnInstanceAsksForAGeneratedPasswordKeptInAFileOnlyItsUserReads() throws Exception {
        Settings.Metadata unconfigured = new Settings.Metadata(NOTHING_ANSWERS, "postgres", null, false);

        MetadataStore.Location own = MetadataStore.prepare(testHome.home(), unconfigured, secrets, runner);

        Path file = testHome.home().var().resolve("metadata.password");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                .isEqualTo("rw-------");
        assertThat(Files.getOwner(file).getName()).isEqualTo(System.getProperty("user.name"));
        assertThat(own.password()).isNotNull();
        assertThat(own.password().reveal())
                .hasSizeGreaterThanOrEqualTo(24)
                .isEqualTo(Files.readString(file).strip());
        assertRefusedWithoutItsPassword(own);
        assertThat(query(own, "select current_user")).isEqualTo("postgres");
        assertThat(query(own, "select count(*) from pg_hba_file_rules where auth_method = 'trust'"))
                .as("no trust line in pg_hba.conf")
                .isEqualTo("0");
        String postmaster = postmasterPid();

        MetadataStore.Location again = MetadataStore.prepare(testHome.home(), unconfigured, secrets, runner);

        assertThat(again.password().reveal()).isEqualTo(own.password().reveal());
        assertThat(postmasterPid()).isEqualTo(postmaster);
    }

    @Test
    void anOwnInstanceAnOlderForkrunnerMadeWithoutPasswordGetsOne() throws Exception {
        PostgresServer older = new PostgresServer(runner, PostgresBinaries.newest(), ownInstanceDirectory());
        int port = Ports.one();
        older.initialize(port, null, Map.of());
        testHome.write("var/metadata.port", port + "\n");
        older.start();
        assertThat(query("jdbc:postgresql://127.0.0.1:" + port + "/postgres", "postgres", null, "select 1"))
                .as("trust, as older forkrunners made it")
                .isEqualTo("1");
        Settings.Metadata unconfigured = new Settings.Metadata(NOTHING_ANSWERS, "postgres", null, false);

        MetadataStore.Location own = MetadataStore.prepare(testHome.home(), unconfigured, secrets, runner);

        assertThat(own.url()).contains(":" + port + "/");
        assertThat(own.password()).isNotNull();
        assertRefusedWithoutItsPassword(own);
        assertThat(query(own, "select current_database()")).isEqualTo("forkrunner");
        assertThat(PosixFilePermissions.toString(
                        Files.getPosixFilePermissions(testHome.home().var().resolve("metadata.password"))))
                .isEqualTo("rw-------");
    }

    private static void assertRefusedWithoutItsPassword(MetadataStore.Location own) {
        for (String password :
                new String[] {null, "", "postgres", own.password().reveal() + "x"}) {
            SQLException refused =
                    catchThrowableOfType(SQLException.class, () -> query(own.url(), own.user(), password, "select 1"));
            assertThat((Throwable) refused)
                    .as("a login with password " + password + " is refused")
                    .isNotNull();
            assertThat(refused.getSQLState()).as(refused.getMessage()).isIn("28P01", "08004");
        }
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

    private static String query(MetadataStore.Location location, String sql) throws SQLException {
        return query(
                location.url(),
                location.user(),
                location.password() == null ? null : location.password().reveal(),
                sql);
    }

    private static String query(String url, String sql) throws SQLException {
        return query(url, "postgres", null, sql);
    }

    private static String query(String url, String user, String password, String sql) throws SQLException {
        Properties login = new Properties();
        login.setProperty("user", user);
        if (password != null) {
            login.setProperty("password", password);
        }
        try (Connection connection = DriverManager.getConnection(url, login);
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
