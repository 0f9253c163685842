package io.forkrunner.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkrunner.testing.CliResult;
import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestHome;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What every engine must do, through the command line of real forkrunner processes against real servers: back a
 * source up; keep a window that reaches past a chosen time; fork to that time with exactly the rows committed by
 * then, the run killed while it lays the backup down and restarted from its restore step; the fork's users equal the
 * source's, and a user logs in to it with the source's password; the source's non-default setting holds on the fork;
 * dropping the fork leaves nothing of it. Each engine's test class extends this one and says how to start a source of
 * its own and speak to it; the tests run in order on one source.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
public abstract class EngineContractTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String SERVICE = "origin";
    private static final String JOB = "origin";
    private static final String READER_PASSWORD = "Reader-pw-7c1d";
    private static final int BATCH = 400;

    /** A source server a test started. */
    protected interface Source {

        /** How forkrunner's clients log in to it as its administrator. */
        Endpoint admin();

        /** Its declaration as service {@code name} under {@code services:} of services.yml, with these backups. */
        String serviceYaml(String name, String region, String backups);

        /** Stops it, unless the home stops it at close. */
        default void stop() {}
    }

    /** Starts a source server of this engine in {@code home}, as service {@code name}; the home stops it at close. */
    protected abstract Source startSource(TestHome home, String name);

    /** A JDBC connection to a database of a server of this engine. */
    protected abstract Connection connect(Endpoint server, String database) throws SQLException;

    /** The database an administrator connects to when no other is meant. */
    protected abstract String adminDatabase();

    /** Statements, run in database {@code shop}, that create the login user {@code reader} who may read table items. */
    protected abstract List<String> createReader(String password);

    /** A setting the source is given with a value other than its default, and the statements that give it. */
    protected abstract Map.Entry<String, String> nonDefaultSetting();

    protected abstract List<String> setSetting(String name, String value);

    /** The value of a setting as the server at {@code admin} reports it. */
    protected abstract String readSetting(Connection admin, String name) throws SQLException;

    /** The server's users, each with what grants it (e.g. its memberships), as comparable strings. */
    protected abstract SortedSet<String> users(Connection admin) throws SQLException;

    private TestHome home;
    private Source source;
    private Instant target;
    private int rowsAtTarget;
    private String forkName;

    @BeforeAll
    void startSourceWithUsersAndSettings() throws Exception {
        home = TestHome.create("contract-"
                + getClass().getSimpleName().replace("ContractTest", "").toLowerCase());
        source = startSource(home, SERVICE);
        try (Connection admin = connect(source.admin(), adminDatabase());
                Statement statement = admin.createStatement()) {
            statement.execute("create database shop");
            Map.Entry<String, String> setting = nonDefaultSetting();
            for (String sql : setSetting(setting.getKey(), setting.getValue())) {
                statement.execute(sql);
            }
        }
        try (Connection shop = connect(source.admin(), "shop");
                Statement statement = shop.createStatement()) {
            statement.execute("create table items (id int primary key, note varchar(64))");
            for (String sql : createReader(READER_PASSWORD)) {
                statement.execute(sql);
            }
        }
        home.addSettings("""
                runs:
                  lease: 6s
                  copy-rate: 4MB
                """);
        home.declareServices(Ports.range(10), source.serviceYaml(SERVICE, "eu-local", "{ keep: 3, wal: stream }"));
        home.job(JOB, """
                source: %s
                database: shop
                target:
                  name: origin-{run}
                """.formatted(SERVICE));
    }

    @AfterAll
    void close() {
        try {
            if (source != null) {
                source.stop();
            }
        } finally {
            home.close();
        }
    }

    @Test
    @Order(1)
    void aBackupIsTakenVerifiedAndTheWindowReachesPastATimeBetweenTwoBatches() throws Exception {
        insert(1, BATCH);
        home.serveAndBackUp(SERVICE);
        JsonNode backups = JSON.readTree(home.cli("backups", SERVICE, "--json").out());
        assertThat(backups.path("backups")).hasSize(1);
        assertThat(backups.path("backups").path(0).path("state").asText()).isEqualTo("VERIFIED");

        insert(BATCH + 1, 2 * BATCH);
        rowsAtTarget = 2 * BATCH;
        // one second apart on either side: some engines replay to a time of whole seconds
        target = Clock.systemUTC().instant().truncatedTo(ChronoUnit.SECONDS).plusSeconds(1);
        Awaitility.await()
                .atMost(Duration.ofSeconds(5))
                .until(() -> Instant.now().isAfter(target.plusMillis(1100)));
        insert(2 * BATCH + 1, 3 * BATCH);
        Instant afterLastBatch = Instant.now();

        JsonNode window = Awaitility.await()
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(500))
                .until(
                        () -> JSON.readTree(
                                        home.cli("backups", SERVICE, "--json").out())
                                .path("window"),
                        found -> !found.path("to").isMissingNode()
                                && !found.path("to").isNull()
                                && Instant.parse(found.path("to").asText()).isAfter(target));
        assertThat(Instant.parse(window.path("from").asText())).isBefore(target);
        assertThat(Instant.parse(window.path("to").asText())).isBefore(afterLastBatch.plusSeconds(1));
    }

    @Test
    @Order(2)
    void aForkToTheTimeKilledWhileLayingDownResumesFromItsRestoreStepAndHoldsExactlyTheRowsCommittedByThen()
            throws Exception {
        Process runner = home.start("contract-run", Map.of(), "run", JOB, "--at", target.toString());
        JsonNode running = Awaitility.await()
                .atMost(Duration.ofSeconds(180))
                .pollInterval(Duration.ofMillis(300))
                .ignoreExceptions()
                .until(() -> home.runRestoring(JOB, TestHome::layingDown), node -> node != null);
        runner.destroyForcibly(); // kill -9
        assertThat(runner.waitFor(30, TimeUnit.SECONDS)).isTrue();
        long run = running.path("run").asLong();

        CliResult restarted = home.restartOnceReleased(run);
        assertThat(restarted.exitCode()).as(restarted.toString()).isZero();
        JsonNode finished = JSON.readTree(restarted.out());
        assertThat(finished.path("state").asText()).isEqualTo("COMPLETED");
        assertThat(home.executionsPerStep(run)).contains("pick-backup|1", "provision|1", "restore-data|2", "verify|1");
        forkName = finished.path("fork").asText();
        assertThat(forkName).isEqualTo(running.path("fork").asText());

        List<String> expected = rows(source.admin(), "where id <= " + rowsAtTarget);
        assertThat(expected).hasSize(rowsAtTarget);
        assertThat(rows(fork(source.admin()), "")).isEqualTo(expected);
    }

    @Test
    @Order(3)
    void theForksUsersAreTheSourcesAndLogInWithTheSourcesPasswords() throws Exception {
        SortedSet<String> sourceUsers;
        try (Connection admin = connect(source.admin(), adminDatabase())) {
            sourceUsers = users(admin);
        }
        assertThat(sourceUsers).anyMatch(user -> user.contains("reader"));
        try (Connection admin = connect(fork(source.admin()), adminDatabase())) {
            assertThat(users(admin)).isEqualTo(sourceUsers);
        }
        Endpoint reader = new Endpoint(
                "127.0.0.1", home.forkPort(forkName), "reader", new io.forkrunner.system.Secret(READER_PASSWORD));
        try (Connection shop = connect(reader, "shop");
                Statement statement = shop.createStatement();
                ResultSet row = statement.executeQuery("select count(*) from items")) {
            row.next();
            assertThat(row.getInt(1)).isEqualTo(rowsAtTarget);
        }
    }

    @Test
    @Order(4)
    void theSourcesNonDefaultSettingHoldsOnTheFork() throws Exception {
        Map.Entry<String, String> setting = nonDefaultSetting();
        try (Connection admin = connect(source.admin(), adminDatabase())) {
            assertThat(readSetting(admin, setting.getKey())).isEqualTo(setting.getValue());
        }
        try (Connection admin = connect(fork(source.admin()), adminDatabase())) {
            assertThat(readSetting(admin, setting.getKey())).isEqualTo(setting.getValue());
        }
    }

    @Test
    @Order(5)
    void droppingTheForkLeavesNothingOfIt() throws Exception {
        JsonNode record = forkRecord(forkName);
        int port = record.path("port").asInt();
        Path directory = home.path("var/regions/eu").resolve(forkName);
        assertThat(directory).isDirectory();

        CliResult dropped = home.cli("drop", forkName);
        assertThat(dropped.exitCode()).as(dropped.toString()).isZero();
        assertThat(Files.exists(directory)).isFalse();
        assertThat(JSON.readTree(home.cli("forks", "--json").out()).findValuesAsString("name"))
                .doesNotContain(forkName);
        assertThat(ProcessHandle.allProcesses()
                        .map(process -> process.info().commandLine().orElse(""))
                        .filter(line -> line.contains(directory.toString())))
                .isEmpty();
        assertThat(listening(port))
                .as("something still listens on the fork's port " + port)
                .isFalse();
    }

    // ---- helpers

    private void insert(int from, int to) throws SQLException {
        try (Connection shop = connect(source.admin(), "shop");
                PreparedStatement insert = shop.prepareStatement("insert into items (id, note) values (?, ?)")) {
            for (int id = from; id <= to; id++) {
                insert.setInt(1, id);
                insert.setString(2, "note " + id + " ünïcödé");
                insert.addBatch();
            }
            insert.executeBatch();
        }
    }

    /** Every row of items, in order of id, as {@code id|note}. */
    private List<String> rows(Endpoint server, String where) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (Connection shop = connect(server, "shop");
                Statement statement = shop.createStatement();
                ResultSet result = statement.executeQuery("select id, note from items " + where + " order by id")) {
            while (result.next()) {
                rows.add(result.getInt(1) + "|" + result.getString(2));
            }
        }
        return rows;
    }

    /** The fork, logged in to as the source's administrator (the fork carries the source's users). */
    private Endpoint fork(Endpoint sourceAdmin) {
        return new Endpoint("127.0.0.1", home.forkPort(forkName), sourceAdmin.user(), sourceAdmin.password());
    }

    private JsonNode forkRecord(String name) {
        for (JsonNode record : JSON.readTree(home.cli("forks", "--json").out())) {
            if (record.path("name").asText().equals(name)) {
                return record;
            }
        }
        throw new AssertionError("no fork " + name + " is registered");
    }

    private static boolean listening(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress("127.0.0.1", port));
            return false;
        } catch (IOException taken) {
            return true;
        }
    }
}
