package io.forkrunner.engine.mariadb;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkrunner.testing.CliResult;
import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestHome;
import java.io.IOException;
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
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * MariaDB forks through real forkrunner processes against a source this test starts (never the machine's own MariaDB):
 * InnoDB tables with a JSON column, a table without a key filled by a trigger, a view, a procedure, an event that runs
 * every second on the source, a database with a utf8mb4 name, a user with grants on one database through a role. The
 * source's binary logs are rotated after every batch, so that a fork replays many files.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MariaDbForkTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String PASSWORD = "Shop-pw-8d2a'\"\\#";
    private static final String CLERK_PASSWORD = "Clerk-pw-51c7";
    private static final String STORE = "Läden ✓"; // identifiers hold no character beyond the BMP in MariaDB
    private static final int BATCH = 10;
    private static final int BATCHES_BEFORE_TARGET = 24;
    private static final int BATCHES_AFTER_TARGET = 4;
    /** Items written before the backup: ids 1 to this. */
    private static final int BEFORE_BACKUP = 5;

    static TestHome home;
    static MariaDbTestSource source;
    static int port;
    static Instant target;
    static int lastIdAtTarget;

    @BeforeAll
    static void sourceWithManyBinlogFiles() throws Exception {
        home = TestHome.create("mariadb-fork");
        source = MariaDbTestSource.start(home, "shop", PASSWORD, Map.of("event-scheduler", "ON"));
        port = source.port;
        try (Connection admin = connect(port, null);
                Statement statement = admin.createStatement()) {
            statement.execute("create database shop character set utf8mb4");
            statement.execute("create database `" + STORE + "` character set utf8mb4");
            statement.execute("create table `" + STORE + "`.`Regal ✓` (id int primary key, label varchar(40))");
            statement.execute("insert into `" + STORE + "`.`Regal ✓` values (1, 'Äpfel 🍎')");
            statement.execute("use shop");
            statement.execute("create table items (id int primary key, name varchar(64), doc json)");
            statement.execute("create table log (item int, noted datetime(6))"); // no key: a duplicate would stay
            statement.execute("create table ticks (at datetime(6))");
            statement.execute("create trigger items_log after insert on items for each row"
                    + " insert into log values (new.id, now(6))");
            statement.execute("create view item_names as select id, name from items");
            statement.execute("create procedure add_item(in p int) insert into items values"
                    + " (p, concat('item ', p, ' ✓'), json_object('id', p, 'tags', json_array('a', 'b')))");
            statement.execute("create event tick on schedule every 1 second do insert into shop.ticks values (now(6))");
            statement.execute("create role shop_writer");
            statement.execute("grant select, insert on shop.* to shop_writer");
            statement.execute("create user 'clerk'@'%' identified by '" + CLERK_PASSWORD + "'");
            statement.execute("grant shop_writer to 'clerk'@'%'");
            statement.execute("set default role shop_writer for 'clerk'@'%'");
        }
        addItems(1, BEFORE_BACKUP);
        home.declareServices(Ports.range(10), """
                  shop:
                    engine: mysql
                    region: eu-local
                    host: 127.0.0.1
                    port: %d
                    user: root
                    password: ${file:var/secrets/shop}
                    backups: { keep: 2, wal: stream }
                  empty: { engine: mariadb, region: eu-local, host: 127.0.0.1, port: %d, user: root, backups: { keep: 1, wal: none } }
                """.formatted(port, Ports.one()));
        home.addSettings("""
                runs:
                  lease: 6s
                """);
        // no database: checks run with none chosen, naming their tables with theirs
        home.job("shop", """
                source: shop
                target:
                  name: shop-{run}
                checks:
                  - select count(*) > 0 from shop.items
                """);
        home.job("latest", """
                source: shop
                database: shop
                events: on
                target:
                  name: latest-{run}
                """);
        home.job("empty", """
                source: empty
                target:
                  name: empty-{run}
                """);
        home.serveAndBackUp("shop");

        int id = BEFORE_BACKUP;
        for (int batch = 0; batch < BATCHES_BEFORE_TARGET; batch++) {
            addItems(id + 1, id + BATCH);
            id += BATCH;
            flushBinaryLogs();
        }
        lastIdAtTarget = id;
        // binlog events carry whole seconds: the target lies a second after the last write before it, and the first
        // write after it a second later
        target = Clock.systemUTC().instant().truncatedTo(ChronoUnit.SECONDS).plusSeconds(1);
        Awaitility.await()
                .atMost(Duration.ofSeconds(5))
                .until(() -> Instant.now().isAfter(target.plusMillis(1100)));
        for (int batch = 0; batch < BATCHES_AFTER_TARGET; batch++) {
            addItems(id + 1, id + BATCH);
            id += BATCH;
            flushBinaryLogs();
        }
        awaitWindowPast(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    }

    @AfterAll
    static void close() {
        try {
            if (source != null) {
                source.close();
            }
        } finally {
            home.close();
        }
    }

    @Test
    @Order(1)
    void aForkKilledWhileReplayingBinlogsResumesAtTheFileItWasInAndHoldsExactlyWhatWasCommittedByTheTime()
            throws Exception {
        Process runner = home.start("shop-run", Map.of(), "run", "shop", "--at", target.toString());
        // the record of replayed files is watched, not the run's status: the whole replay can take a second, less than
        // one reading of the status on a busy machine
        String fork = Awaitility.await()
                .atMost(Duration.ofSeconds(180))
                .pollInterval(Duration.ofMillis(5))
                .until(MariaDbForkTest::forkReplaying, name -> name != null);
        runner.destroyForcibly(); // kill -9
        assertThat(runner.waitFor(30, TimeUnit.SECONDS)).isTrue();
        List<String> replayedWhenKilled = replayed(fork);
        assertThat(replayedWhenKilled).isNotEmpty();
        JsonNode running = home.runRestoring("shop", step -> true);
        assertThat(running.path("fork").asText()).isEqualTo(fork);

        CliResult restarted = home.restartOnceReleased(running.path("run").asLong());
        assertThat(restarted.exitCode()).as(restarted.toString()).isZero();
        JsonNode finished = JSON.readTree(restarted.out());
        assertThat(finished.path("state").asText()).isEqualTo("COMPLETED");
        List<String> replayed = replayed(fork);
        assertThat(replayed).startsWith(replayedWhenKilled.toArray(String[]::new));
        assertThat(replayed).doesNotHaveDuplicates().hasSizeGreaterThan(replayedWhenKilled.size());

        int forkPort = home.forkPort(fork);
        assertThat(column(forkPort, "select id from items order by id"))
                .isEqualTo(column(port, "select id from items where id <= " + lastIdAtTarget + " order by id"))
                .hasSize(lastIdAtTarget);
        assertThat(column(forkPort, "select concat(id, name, doc) from items order by id"))
                .isEqualTo(column(
                        port,
                        "select concat(id, name, doc) from items where id <= " + lastIdAtTarget + " order by id"));
        assertThat(column(forkPort, "select count(*) from log")).containsExactly(String.valueOf(lastIdAtTarget));
        assertThat(column(forkPort, "select item from log group by item having count(*) > 1"))
                .isEmpty();
        assertThat(column(forkPort, "select label from `" + STORE + "`.`Regal ✓`"))
                .containsExactly("Äpfel 🍎");

        assertThat(schema(forkPort)).isEqualTo(schema(port)).contains("items_log", "add_item", "item_names", "tick");
        assertThat(column(
                        forkPort,
                        "select concat(User, '@', Host, ' ', authentication_string) from mysql.user" + " order by 1"))
                .isEqualTo(column(
                        port, "select concat(User, '@', Host, ' ', authentication_string) from mysql.user order by 1"));
        assertThat(column(forkPort, "show grants for 'clerk'@'%'"))
                .isEqualTo(column(port, "show grants for 'clerk'@'%'"));
        try (Connection clerk = connect(forkPort, "shop", "clerk", CLERK_PASSWORD);
                Statement statement = clerk.createStatement();
                ResultSet row = statement.executeQuery("select count(*) from items")) {
            row.next();
            assertThat(row.getInt(1)).isEqualTo(lastIdAtTarget);
        }

        JsonNode steps = JSON.readTree(
                home.cli("status", finished.path("run").asText(), "--json").out());
        assertThat(TestHome.step(steps, "copy-configuration")
                        .path("report")
                        .path("held-event_scheduler")
                        .asText())
                .startsWith("OFF");
        assertThat(TestHome.step(steps, "copy-users-and-pools")
                        .path("report")
                        .path("pools")
                        .asText())
                .isEqualTo("not applicable to mariadb");
        String ticks = column(forkPort, "select count(*) from ticks").get(0);
        String sourceTicks = column(port, "select count(*) from ticks").get(0);
        Awaitility.await()
                .during(Duration.ofSeconds(3))
                .atMost(Duration.ofSeconds(10))
                .until(() ->
                        column(forkPort, "select count(*) from ticks").get(0).equals(ticks));
        assertThat(Integer.parseInt(column(port, "select count(*) from ticks").get(0)))
                .as("the event runs on the source meanwhile")
                .isGreaterThan(Integer.parseInt(sourceTicks));
        assertThat(column(forkPort, "select @@global.event_scheduler")).containsExactly("OFF");
        assertThat(column(forkPort, "show all slaves status")).isEmpty();
    }

    @Test
    @Order(2)
    void aForkToLatestHoldsTheLastCommittedRowWrittenOnlyToTheNewestOpenBinlogFileAndRunsEventsWhenTheJobSaysOn()
            throws Exception {
        addItems(100_000, 100_000);
        Instant committed = Instant.now();
        awaitWindowPast(committed.truncatedTo(ChronoUnit.SECONDS));

        CliResult run = home.cli("run", "latest", "--json");
        assertThat(run.exitCode()).as(run.toString()).isZero();
        int forkPort = home.forkPort(JSON.readTree(run.out()).path("fork").asText());
        assertThat(column(forkPort, "select name from items where id = 100000")).containsExactly("item 100000 ✓");
        assertThat(column(forkPort, "select count(*) from items"))
                .isEqualTo(column(port, "select count(*) from items"));

        JsonNode copyConfiguration = TestHome.step(
                        JSON.readTree(home.cli(
                                        "status",
                                        JSON.readTree(run.out()).path("run").asText(),
                                        "--json")
                                .out()),
                        "copy-configuration")
                .path("report");
        assertThat(copyConfiguration.path("events-event_scheduler").asText()).startsWith("ON");
        assertThat(copyConfiguration.has("held-event_scheduler")).isFalse();
        assertThat(column(forkPort, "select @@global.event_scheduler")).containsExactly("ON");
        int ticks =
                Integer.parseInt(column(forkPort, "select count(*) from ticks").get(0));
        Awaitility.await()
                .atMost(Duration.ofSeconds(30))
                .until(() -> Integer.parseInt(
                                column(forkPort, "select count(*) from ticks").get(0))
                        > ticks);
    }

    @Test
    @Order(3)
    void noBackupOrATimeOutsideTheWindowFailsTheRunSayingWhatToDoAndProvisionsNothing() throws Exception {
        List<String> forks = JSON.readTree(home.cli("forks", "--json").out()).findValuesAsString("name");

        CliResult noBackup = home.cli("run", "empty");
        assertThat(noBackup.exitCode()).as(noBackup.toString()).isEqualTo(1);
        assertThat(noBackup.out() + noBackup.err())
                .contains("empty has no backup to fork from", "forkrunner backup empty");

        CliResult outside = home.cli("run", "shop", "--at", "2020-01-01T00:00:00Z");
        assertThat(outside.exitCode()).as(outside.toString()).isEqualTo(1);
        assertThat(outside.out() + outside.err()).contains("outside the point-in-time window of shop");

        assertThat(JSON.readTree(home.cli("forks", "--json").out()).findValuesAsString("name"))
                .isEqualTo(forks);
        try (var regions = Files.list(home.path("var/regions/eu"))) {
            assertThat(regions.map(path -> path.getFileName().toString()))
                    .noneMatch(name -> name.startsWith("empty-") || name.startsWith("shop-3"));
        }
    }

    // ---- helpers

    /** The fork whose restore has recorded a binlog file replayed whole, or null before one has. */
    private static String forkReplaying() throws IOException {
        Path region = home.path("var/regions/eu");
        if (!Files.isDirectory(region)) {
            return null;
        }
        try (var forks = Files.list(region)) {
            for (Path fork : forks.toList()) {
                if (!replayed(fork.getFileName().toString()).isEmpty()) {
                    return fork.getFileName().toString();
                }
            }
        }
        return null;
    }

    /** The binlog files the fork's restore recorded as replayed whole, in order. */
    private static List<String> replayed(String fork) throws IOException {
        Path record = home.path("var/regions/eu").resolve(fork).resolve("binlogs-replayed");
        return Files.exists(record)
                ? Files.readAllLines(record).stream()
                        .filter(line -> !line.isBlank())
                        .map(line -> line.split(" ")[0])
                        .toList()
                : List.of();
    }

    private static void addItems(int from, int to) throws SQLException {
        try (Connection shop = connect(port, "shop");
                PreparedStatement add = shop.prepareStatement("call add_item(?)")) {
            for (int id = from; id <= to; id++) {
                add.setInt(1, id);
                add.execute();
            }
        }
    }

    private static void flushBinaryLogs() throws SQLException {
        try (Connection admin = connect(port, null);
                Statement statement = admin.createStatement()) {
            statement.execute("flush binary logs");
        }
    }

    private static void awaitWindowPast(Instant time) {
        Awaitility.await()
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(500))
                .until(
                        () -> JSON.readTree(
                                        home.cli("backups", "shop", "--json").out())
                                .path("window")
                                .path("to"),
                        to -> to.isTextual() && !Instant.parse(to.asText()).isBefore(time));
    }

    /** The first column of every row {@code sql} returns in database shop on the server at {@code serverPort}. */
    private static List<String> column(int serverPort, String sql) throws SQLException {
        return source.columnOn(serverPort, "shop", sql);
    }

    private static String schema(int serverPort) throws Exception {
        return source.schema(serverPort, "shop", STORE);
    }

    private static Connection connect(int serverPort, String database) throws SQLException {
        return MariaDbTestSource.connect(serverPort, database, "root", PASSWORD);
    }

    private static Connection connect(int serverPort, String database, String user, String password)
            throws SQLException {
        return MariaDbTestSource.connect(serverPort, database, user, password);
    }
}
