package io.forkrunner.engine.postgresql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.forkrunner.Forkrunner;
import io.forkrunner.definition.ServiceDefinition;
import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.Engine;
import io.forkrunner.engine.Place;
import io.forkrunner.engine.Pools;
import io.forkrunner.engine.Progress;
import io.forkrunner.engine.Restored;
import io.forkrunner.engine.TableCount;
import io.forkrunner.system.DirectoryTree;
import io.forkrunner.system.Secret;
import io.forkrunner.testing.CliResult;
import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestHome;
import io.forkrunner.testing.TestSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The fork side of the PostgreSQL engine against real servers: a source archived by {@code serve}, a verified base
 * backup of it, and forks laid down from that backup and recovered from a private copy of the archive. A second server
 * publishes to a subscription of the source, to show that the fork never connects to it.
 *
 * <p>Rows of {@code shop.orders}: A (1-3) committed before the point in time, B (4-5) after it, C (6) last, with no WAL
 * switch after it, so that it lies in the archive's partial segment.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PostgresForkTest {

    private static final Path PG_BIN = Path.of("/usr/lib/postgresql/15/bin");
    private static final String APP_PASSWORD = "App-pw-5d02";
    private static final String LEGACY_PASSWORD = "Legacy-pw-8a3c";
    private static final String ROWS_A = "a1,a2,a3";
    private static final String ROWS_ALL = "a1,a2,a3,b4,b5,c6";
    /** The publisher's walsenders with the slot each one holds: pid, application, client port, slot. */
    private static final String SENDERS = "select r.pid || ' ' || r.application_name || ' ' || r.client_port"
            + " || ' ' || coalesce(s.slot_name, '-') from pg_stat_replication r"
            + " left join pg_replication_slots s on s.active_pid = r.pid order by 1";

    static TestHome home;
    static TestSource source;
    static TestSource publisher;
    static Forkrunner forkrunner;
    static Engine engine;
    static Endpoint sourceAdmin;
    static Path archive;
    static Path backupDirectory;
    static String backupStart;
    static Instant pointInTime;
    static Instant latest;
    static String lastRowSegment;
    static List<String> sourceSlotsBefore;
    static List<String> publisherSlotsBefore;
    static List<String> publisherSendersBefore;
    static long publisherReplicationLoginsBefore;

    static Place pointInTimeFork;
    static Endpoint pointInTimeAdmin;
    static Restored pointInTimeRestored;
    static List<String> pointInTimeProgress = new CopyOnWriteArrayList<>();
    static Place latestFork;
    static Endpoint latestAdmin;
    static Restored latestRestored;
    static Place poolsPlace;

    @BeforeAll
    static void archiveABackedUpSourceAndForkIt() throws Exception {
        home = TestHome.create("postgres-fork");
        source = TestSource.start(home, "shop", "Shop-pw-7f20");
        publisher = TestSource.start(home, "pub", "Pub-pw-31c8");
        publish();
        home.write("config/services.yml", """
                regions:
                  test: { provisioner: local, root: var/regions/test, ports: %s }
                services:
                %s""".formatted(
                        Ports.range(10).yaml(), source.serviceYaml("test", "{ keep: 3, wal: stream }")));
        home.start("serve", Map.of(), "serve");
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(500))
                .ignoreExceptions()
                .until(() -> "RUNNING".equals(metadataValue("select state from wal_archivers where service = 'shop'")));
        archive = home.path("var/backups/shop/wal");

        createSchemaRolesAndSubscription();
        source.sql("alter system set work_mem = '7MB'; alter system set timezone = 'Europe/Helsinki';"
                + " alter system set archive_timeout = '17min';"
                + " alter system set primary_conninfo = 'host=192.0.2.1 port=5432'; select pg_reload_conf()");
        CliResult backup = home.cli("backup", "shop");
        assertThat(backup.exitCode()).as(backup.toString()).isZero();
        JsonNode newest = newestBackup(report());
        backupDirectory = Path.of(newest.path("directory").asText());
        backupStart = newest.path("startPosition").asText();

        commitRows("a1", "a2", "a3");
        Thread.sleep(50);
        pointInTime = Instant.parse(source.sql(
                "select to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"));
        Thread.sleep(50);
        commitRows("b4", "b5");
        String afterB = source.sql("select pg_current_wal_lsn()");
        awaitArchived(afterB);
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofSeconds(1))
                .until(() -> windowEnd().isAfter(pointInTime));
        commitRows("c6");
        String afterC = source.sql("select pg_current_wal_lsn()");
        lastRowSegment = source.sql("select pg_walfile_name('" + afterC + "')");
        awaitArchived(afterC);
        await().atMost(Duration.ofSeconds(30)) // the report reads the archive as it is now
                .pollInterval(Duration.ofSeconds(1))
                .until(() -> shopRowsCommittedBy(windowEnd()).equals(ROWS_ALL));
        latest = windowEnd();

        sourceSlotsBefore = slots(sourceAdmin());
        publisherSlotsBefore = slots(publisherAdmin());
        publisherSendersBefore = column(publisherAdmin(), "postgres", SENDERS);
        publisherReplicationLoginsBefore = publisherReplicationLogins();

        forkrunner = Forkrunner.boot(home.home(), false);
        engine = forkrunner.bean(PostgresEngine.class);
        sourceAdmin = sourceAdmin();

        pointInTimeFork = place("point-in-time");
        pointInTimeAdmin = admin(pointInTimeFork);
        engine.physicalRestore().orElseThrow().layDown(backupDirectory, pointInTimeFork, 0, Progress.NONE);
        pointInTimeRestored = engine.physicalRestore()
                .orElseThrow()
                .recover(
                        pointInTimeFork,
                        archive,
                        backupStart,
                        pointInTime,
                        pointInTimeAdmin,
                        (what, done, total) -> pointInTimeProgress.add(what + " " + done + "/" + total));

        latestFork = place("latest");
        latestAdmin = admin(latestFork);
        engine.physicalRestore().orElseThrow().layDown(backupDirectory, latestFork, 0, Progress.NONE);
        latestRestored = engine.physicalRestore()
                .orElseThrow()
                .recover(latestFork, archive, backupStart, latest, latestAdmin, Progress.NONE);
    }

    @AfterAll
    static void stopEverything() {
        try {
            if (engine != null && poolsPlace != null) {
                engine.pooling().orElseThrow().stop(poolsPlace);
            }
            if (forkrunner != null) {
                forkrunner.close();
            }
        } finally {
            home.close();
        }
    }

    @Test
    @Order(1)
    void aForkToAPointInTimeHoldsTheRowsCommittedBeforeItAndNoneAfter() throws Exception {
        assertThat(shopRowsCommittedBy(pointInTime)).as("on the source").isEqualTo(ROWS_A);
        assertThat(orders(sourceAdmin)).isEqualTo(ROWS_ALL);

        assertThat(orders(pointInTimeAdmin)).isEqualTo(ROWS_A);
        assertThat(pointInTimeRestored.stoppedAtTarget()).isTrue();
        assertThat(value(pointInTimeAdmin, "postgres", "select pg_is_in_recovery()"))
                .isEqualTo("f");

        int sourceTimeline = timeline(sourceAdmin);
        assertThat(pointInTimeRestored.timeline()).isGreaterThan(sourceTimeline);
        assertThat(timeline(pointInTimeAdmin)).isEqualTo(pointInTimeRestored.timeline());
        assertThat(value(pointInTimeAdmin, "postgres", "show archive_mode")).isEqualTo("off");
        assertThat(pointInTimeProgress).anyMatch(report -> report.startsWith("WAL segments replayed"));

        assertThat(archiveFiles())
                .as("nothing of the forks' timelines in the source's archive")
                .noneMatch(name -> name.startsWith(String.format("%08X", pointInTimeRestored.timeline())))
                .noneMatch(name -> name.startsWith(String.format("%08X", latestRestored.timeline())))
                .allMatch(name -> name.startsWith(String.format("%08X", sourceTimeline)));
        assertThat(slots(sourceAdmin)).isEqualTo(sourceSlotsBefore);
        assertThat(slots(pointInTimeAdmin)).isEmpty();
    }

    @Test
    @Order(2)
    void aForkToTheLatestCommitHoldsTheLastRowFromThePartialSegment() throws Exception {
        assertThat(archive.resolve(lastRowSegment + ".partial"))
                .as("the last row's segment is still partial in the archive")
                .exists();
        assertThat(archive.resolve(lastRowSegment)).doesNotExist();

        assertThat(orders(latestAdmin)).isEqualTo(ROWS_ALL);
        assertThat(value(latestAdmin, "postgres", "select pg_is_in_recovery()")).isEqualTo("f");
        assertThat(latestRestored.timeline()).isGreaterThan(timeline(sourceAdmin));
        assertThat(timeline(latestAdmin)).isEqualTo(latestRestored.timeline());
    }

    @Test
    @Order(3)
    void theForkHasTheSourcesSchemaAtAPointInTimeAfterTheLastChangeOfIt() throws Exception {
        String sourceShop = schema(sourceAdmin, "shop");
        assertThat(sourceShop).contains("CREATE TABLE public.orders", "CREATE UNLOGGED TABLE public.scratch");
        assertThat(schema(pointInTimeAdmin, "shop")).isEqualTo(sourceShop);
        assertThat(schema(pointInTimeAdmin, "inbox", "--no-subscriptions"))
                .isEqualTo(schema(sourceAdmin, "inbox", "--no-subscriptions"));
        assertThat(engine.inspection().databases(pointInTimeAdmin))
                .isEqualTo(engine.inspection().databases(sourceAdmin));
    }

    @Test
    @Order(4)
    void theForkCarriesTheRolesWithTheirVerifiersAttributesAndMemberships() throws Exception {
        assertThat(engine.users().orElseThrow().roles(pointInTimeAdmin))
                .isEqualTo(engine.users().orElseThrow().roles(sourceAdmin));
        assertThat(engine.users().orElseThrow().roles(pointInTimeAdmin))
                .anySatisfy(role -> {
                    assertThat(role.name()).isEqualTo("app");
                    assertThat(role.login()).isTrue();
                    assertThat(role.connectionLimit()).isEqualTo(10);
                    assertThat(role.memberOf()).containsExactly("readers");
                    assertThat(role.verifierDigest()).isNotNull();
                })
                .anySatisfy(role -> {
                    assertThat(role.name()).isEqualTo("builder");
                    assertThat(role.createDatabase()).isTrue();
                    assertThat(role.createRole()).isTrue();
                });

        String authid = "select rolname || ' ' || coalesce(rolpassword, '-') || ' ' || rolsuper || rolinherit"
                + " || rolcreaterole || rolcreatedb || rolcanlogin || rolreplication || rolbypassrls || ' '"
                + " || rolconnlimit || ' ' || coalesce(rolvaliduntil::text, '-') from pg_authid order by rolname";
        List<String> sourceRoles = column(sourceAdmin, "postgres", authid);
        assertThat(sourceRoles).anyMatch(line -> line.startsWith("app SCRAM-SHA-256$4096:"));
        assertThat(column(pointInTimeAdmin, "postgres", authid)).isEqualTo(sourceRoles);

        String members = "select roleid::regrole || ' ' || member::regrole || ' ' || grantor::regrole || ' '"
                + " || admin_option from pg_auth_members order by 1";
        List<String> sourceMembers = column(sourceAdmin, "postgres", members);
        assertThat(sourceMembers).contains("readers app postgres false", "readers builder postgres true");
        assertThat(column(pointInTimeAdmin, "postgres", members)).isEqualTo(sourceMembers);

        assertThat(sourceRoles).anyMatch(line -> line.startsWith("legacy md5"));
        for (Endpoint server : List.of(sourceAdmin, pointInTimeAdmin)) {
            Endpoint legacy = new Endpoint("127.0.0.1", server.port(), "legacy", new Secret(LEGACY_PASSWORD));
            assertThat(value(legacy, "postgres", "select current_user"))
                    .as("a role with an MD5 password logs in at port %d", server.port())
                    .isEqualTo("legacy");
        }
    }

    @Test
    @Order(5)
    void everyTableOfTheForkReadsAndAnUnloggedTableIsFlaggedAndEmpty() throws Exception {
        assertThat(value(sourceAdmin, "shop", "select count(*) from scratch")).isEqualTo("2");

        List<TableCount> counts = engine.inspection().tableCounts(pointInTimeAdmin);

        assertThat(counts)
                .contains(
                        new TableCount("shop", "public", "orders", 3, false),
                        new TableCount("shop", "public", "scratch", 0, true),
                        new TableCount("shop", "public", "order_summary", 0, false),
                        new TableCount("inbox", "public", "items", 3, false));
        assertThat(counts)
                .as("a materialized view created WITH NO DATA has nothing to read")
                .noneMatch(count -> count.table().equals("order_report"));
        assertThat(engine.inspection().check(pointInTimeAdmin, "shop", "select count(*) = 3 from orders"))
                .isTrue();
        assertThat(engine.inspection().check(pointInTimeAdmin, "shop", "select count(*) = 6 from orders"))
                .isFalse();
    }

    @Test
    @Order(6)
    void poolsInFrontOfTheForkServeTheSourcesLoginsAndRefuseAWrongPassword() throws Exception {
        int poolPort = Ports.one();
        poolsPlace = pointInTimeFork;
        engine.pooling()
                .orElseThrow()
                .start(
                        pointInTimeFork,
                        pointInTimeAdmin,
                        new Pools(
                                poolPort,
                                List.of(new ServiceDefinition.Pool(
                                        "app", "shop", "app", ServiceDefinition.PoolMode.TRANSACTION, 5))));

        assertThat(engine.pooling().orElseThrow().running(pointInTimeFork)).isTrue();
        Endpoint app = new Endpoint("127.0.0.1", poolPort, "app", new Secret(APP_PASSWORD));
        assertThat(value(app, "app", "select string_agg(item, ',' order by id) from orders"))
                .isEqualTo(ROWS_A);
        assertThat(value(app, "app", "select current_user || '@' || current_database()"))
                .isEqualTo("app@shop");
        Endpoint wrong = new Endpoint("127.0.0.1", poolPort, "app", new Secret("not-" + APP_PASSWORD));
        assertThatThrownBy(() -> value(wrong, "app", "select 1"))
                .isInstanceOf(SQLException.class)
                .hasMessageContaining("authentication failed");

        engine.pooling().orElseThrow().stop(pointInTimeFork);

        assertThat(engine.pooling().orElseThrow().running(pointInTimeFork)).isFalse();
        await().atMost(Duration.ofSeconds(10)).until(() -> !Ports.answers(poolPort));
        poolsPlace = null;
    }

    @Test
    @Order(7)
    void theSourcesOwnSettingsAreAppliedLessTheHostSpecificOnes() throws Exception {
        Map<String, String> settings = engine.settings().orElseThrow().read(sourceAdmin);

        assertThat(settings).containsEntry("work_mem", "7MB");
        assertThat(settings)
                .as("the source's own time zone, not the one this JDBC session asked for")
                .containsEntry("TimeZone", "Europe/Helsinki");
        assertThat(settings)
                .doesNotContainKeys(
                        "archive_timeout",
                        "primary_conninfo",
                        "port",
                        "listen_addresses",
                        "unix_socket_directories",
                        "archive_mode");
        assertThat(value(pointInTimeAdmin, "postgres", "show work_mem")).isEqualTo("4MB");

        engine.settings().orElseThrow().apply(pointInTimeFork, pointInTimeAdmin, settings);

        assertThat(value(pointInTimeAdmin, "postgres", "show work_mem")).isEqualTo("7MB");
        assertThat(psql(pointInTimeAdmin, "show timezone")).isEqualTo("Europe/Helsinki");
        assertThat(psql(sourceAdmin, "show timezone")).isEqualTo("Europe/Helsinki");
        assertThat(value(pointInTimeAdmin, "postgres", "show port")).isEqualTo(String.valueOf(pointInTimeFork.port()));
        assertThat(value(pointInTimeAdmin, "postgres", "show archive_timeout")).isEqualTo("0");
        assertThat(value(pointInTimeAdmin, "postgres", "show primary_conninfo")).isEmpty();
        assertThat(value(pointInTimeAdmin, "postgres", "show archive_mode")).isEqualTo("off");
        assertThat(orders(pointInTimeAdmin)).isEqualTo(ROWS_A);
    }

    @Test
    @Order(8)
    void layingABackupDownAgainAfterAnInterruptionCompletesTheDataDirectory() throws Exception {
        Place place = place("resumed");
        RuntimeException crash = new RuntimeException("the runner died");
        assertThatThrownBy(() -> engine.physicalRestore()
                        .orElseThrow()
                        .layDown(backupDirectory, place, 0, (what, done, total) -> {
                            if (done < total) {
                                throw crash;
                            }
                        }))
                .isSameAs(crash);
        Path data = place.directory().resolve("data");
        Map<String, String> expected = digests(backupDirectory);
        Map<String, String> partial = digests(data);
        assertThat(partial.size()).isLessThan(expected.size());
        List<String> laidDown = partial.keySet().stream()
                .filter(file -> data.resolve(file).toFile().length() > 0)
                .toList();
        Path truncated = data.resolve(laidDown.get(laidDown.size() - 1));
        try (var channel = Files.newByteChannel(truncated, java.nio.file.StandardOpenOption.WRITE)) {
            channel.truncate(channel.size() / 2);
        }
        Files.delete(data.resolve(laidDown.get(0)));

        List<String> progress = new ArrayList<>();
        engine.physicalRestore()
                .orElseThrow()
                .layDown(backupDirectory, place, 0, (what, done, total) -> progress.add(done + "/" + total));

        long size = DirectoryTree.size(backupDirectory);
        assertThat(progress).last().isEqualTo(size + "/" + size);
        assertThat(digests(data)).isEqualTo(expected);
        Process verify = new ProcessBuilder(PG_BIN.resolve("pg_verifybackup").toString(), "--quiet", data.toString())
                .redirectErrorStream(true)
                .start();
        String output = new String(verify.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(verify.waitFor()).as(output).isZero();
    }

    @Test
    @Order(9)
    void restoringAPromotedForkAgainLeavesItAsItWas() throws Exception {
        try (Connection connection = connect(pointInTimeAdmin, "shop");
                Statement statement = connection.createStatement()) {
            statement.execute("create table written_on_the_fork (n int); insert into written_on_the_fork values (7)");
        }
        Path serverLog = pointInTimeFork.directory().resolve("log/postgresql.log");
        long recoveriesBefore = count(serverLog, "starting point-in-time recovery");
        assertThat(recoveriesBefore).isEqualTo(1);

        engine.physicalRestore().orElseThrow().layDown(backupDirectory, pointInTimeFork, 0, Progress.NONE);
        Restored again = engine.physicalRestore()
                .orElseThrow()
                .recover(pointInTimeFork, archive, backupStart, pointInTime, pointInTimeAdmin, Progress.NONE);

        assertThat(again.timeline()).isEqualTo(pointInTimeRestored.timeline());
        assertThat(again.stoppedAtTarget()).isTrue();
        assertThat(timeline(pointInTimeAdmin)).isEqualTo(pointInTimeRestored.timeline());
        assertThat(count(serverLog, "starting point-in-time recovery")).isEqualTo(recoveriesBefore);
        assertThat(count(serverLog, "starting archive recovery")).isZero();
        assertThat(orders(pointInTimeAdmin)).isEqualTo(ROWS_A);
        assertThat(value(pointInTimeAdmin, "shop", "select string_agg(n::text, ',') from written_on_the_fork"))
                .isEqualTo("7");
        assertThat(value(pointInTimeAdmin, "postgres", "select pg_is_in_recovery()"))
                .isEqualTo("f");
        assertThat(pointInTimeFork.directory().resolve("data/backup_label")).doesNotExist();
    }

    /**
     * Proves: the forks carry the subscription, disabled and without a slot; while they recovered, started, restarted
     * and had settings applied, the publisher logged no replication login at all (the source's subscription stays
     * connected through one and the same walsender, on the same client port, and its slot's active pid is the same),
     * and the forks' logs show no apply worker.
     */
    @Test
    @Order(10)
    void aSubscriptionCarriedByTheForkIsDisabledAndNeverConnectsToThePublisher() throws Exception {
        String subscription = "select subname || ' ' || subenabled || ' ' || coalesce(subslotname, '-')"
                + " from pg_subscription order by 1";
        assertThat(column(sourceAdmin, "inbox", subscription)).containsExactly("sub_items true sub_items");
        assertThat(pointInTimeRestored.subscriptionsDisabled()).isEqualTo(1);
        assertThat(latestRestored.subscriptionsDisabled()).isEqualTo(1);

        Thread.sleep(6_000); // longer than the launcher's wal_retrieve_retry_interval (5 s) after the last restart

        for (Endpoint fork : List.of(pointInTimeAdmin, latestAdmin)) {
            assertThat(column(fork, "inbox", subscription)).containsExactly("sub_items false -");
        }
        assertThat(publisherReplicationLogins()).isEqualTo(publisherReplicationLoginsBefore);
        assertThat(column(publisherAdmin(), "postgres", SENDERS)).isEqualTo(publisherSendersBefore);
        assertThat(slots(publisherAdmin())).isEqualTo(publisherSlotsBefore);
        for (Place fork : List.of(pointInTimeFork, latestFork)) {
            assertThat(Files.readString(fork.directory().resolve("log/postgresql.log")))
                    .doesNotContain("apply worker");
        }
        try (Connection connection = publisher.connect("postgres");
                Statement statement = connection.createStatement()) {
            statement.execute("insert into items values (4, 'still flowing to the source')");
        }
        await().atMost(Duration.ofSeconds(30))
                .until(() -> value(sourceAdmin, "inbox", "select count(*) from items"), "4"::equals);
    }

    // ---- the source

    /** The publisher: wal_level logical, connections logged; a publication of one table with three rows. */
    private static void publish() throws Exception {
        publisher.sql("alter system set wal_level = 'logical'; alter system set log_connections = on");
        publisher.server().restart();
        try (Connection connection = publisher.connect("postgres");
                Statement statement = connection.createStatement()) {
            statement.execute("create table items (id int primary key, name text)");
            statement.execute("insert into items values (1, 'one'), (2, 'two'), (3, 'three')");
            statement.execute("create publication pub_items for table items");
        }
    }

    /** Roles, the databases shop and inbox, and inbox's subscription to the publisher, synchronized and streaming. */
    private static void createSchemaRolesAndSubscription() throws Exception {
        source.sql("create role readers nologin;"
                + " create role app login password '" + APP_PASSWORD + "' connection limit 10 in role readers;"
                + " create role builder login createdb createrole password 'Builder-pw-19e4' valid until 'infinity';"
                + " grant readers to builder with admin option");
        source.sql("set password_encryption = 'md5'; create role legacy login password '" + LEGACY_PASSWORD + "'");
        allowMd5Login("legacy");
        source.sql("create database shop");
        source.sql("create database inbox");
        try (Connection connection = source.connect("shop");
                Statement statement = connection.createStatement()) {
            statement.execute("create table orders (id int primary key, item text not null,"
                    + " placed timestamptz not null default now())");
            statement.execute("create index orders_by_item on orders (item)");
            statement.execute("create sequence order_numbers start 1000");
            statement.execute(
                    "create view recent_orders as select id, item from orders where placed > now() - '1 day'::interval");
            statement.execute(
                    "create function order_count() returns bigint language sql as 'select count(*) from orders'");
            statement.execute("create unlogged table scratch (note text)");
            statement.execute("insert into scratch values ('gone after a physical restore'), ('this too')");
            statement.execute(
                    "create materialized view order_summary as select item, count(*) from orders group by item");
            statement.execute(
                    "create materialized view order_report as select count(*) as orders from orders with no data");
            statement.execute("grant select on orders to readers");
        }
        try (Connection connection = source.connect("inbox");
                Statement statement = connection.createStatement()) {
            statement.execute("create table items (id int primary key, name text)");
            statement.execute("create subscription sub_items connection 'host=127.0.0.1 port=" + publisher.port()
                    + " user=postgres password=" + publisher.password() + " dbname=postgres' publication pub_items");
        }
        Endpoint admin = sourceAdmin();
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(500))
                .until(
                        () -> value(
                                admin,
                                "inbox",
                                "select count(*) || ' '"
                                        + " || (select count(*) from pg_subscription_rel where srsubstate <> 'r')"
                                        + " || ' ' || (select count(*) from pg_stat_subscription where pid is not null)"
                                        + " from items"),
                        "3 0 1"::equals);
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(500))
                .until(
                        () -> column(publisherAdmin(), "postgres", "select application_name from pg_stat_replication"),
                        senders -> senders.equals(List.of("sub_items")));
    }

    /** Lets {@code role} log in to the source with its MD5 password, as a source upgraded from MD5 would. */
    private static void allowMd5Login(String role) throws IOException {
        Path hba = source.server().dataDirectory().resolve("pg_hba.conf");
        Files.writeString(hba, "host all " + role + " 127.0.0.1/32 md5\n" + Files.readString(hba));
        source.sql("select pg_reload_conf()");
    }

    private static void commitRows(String... items) throws SQLException {
        try (Connection connection = source.connect("shop");
                Statement statement = connection.createStatement()) {
            for (String item : items) {
                statement.execute("insert into orders (id, item) values (" + item.substring(1) + ", '" + item + "')");
            }
        }
    }

    /** Waits until pg_receivewal has flushed the source's WAL up to {@code lsn} into the archive. */
    private static void awaitArchived(String lsn) {
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(300))
                .until(
                        () -> source.sql("select coalesce(bool_or(r.flush_lsn >= '" + lsn + "'::pg_lsn), false)"
                                + " from pg_stat_replication r join pg_replication_slots s on s.active_pid = r.pid"
                                + " where s.slot_name = 'forkrunner_shop'"),
                        "t"::equals);
    }

    /** The rows of shop.orders whose transaction started by {@code time}, read on the source. */
    private static String shopRowsCommittedBy(Instant time) throws SQLException {
        String rows = value(
                sourceAdmin(),
                "shop",
                "select string_agg(item, ',' order by id) from orders where placed <= '" + time + "'::timestamptz");
        return rows == null ? "" : rows;
    }

    private static JsonNode report() {
        CliResult result = home.cli("backups", "shop", "--json");
        assertThat(result.exitCode()).as(result.toString()).isZero();
        return JsonMapper.builder().build().readTree(result.out());
    }

    private static JsonNode newestBackup(JsonNode report) {
        return report.path("backups").path(report.path("backups").size() - 1);
    }

    private static Instant windowEnd() {
        return Instant.parse(report().path("window").path("to").asText());
    }

    private static List<String> archiveFiles() throws IOException {
        try (Stream<Path> files = Files.list(archive)) {
            return files.map(path -> path.getFileName().toString()).sorted().toList();
        }
    }

    private static long publisherReplicationLogins() throws IOException {
        return count(home.path("var/sources/pub/log/postgresql.log"), "replication connection authorized");
    }

    private static String metadataValue(String sql) throws SQLException {
        try (Connection connection = home.metadataConnection();
                Statement statement = connection.createStatement();
                ResultSet row = statement.executeQuery(sql)) {
            return row.next() ? row.getString(1) : null;
        }
    }

    // ---- forks

    private static Place place(String name) {
        return new Place(home.path("var/regions/test/" + name), Ports.one(), 15);
    }

    private static Endpoint admin(Place place) {
        return new Endpoint("127.0.0.1", place.port(), "postgres", new Secret(source.password()));
    }

    private static Endpoint sourceAdmin() {
        return new Endpoint("127.0.0.1", source.port(), "postgres", new Secret(source.password()));
    }

    private static Endpoint publisherAdmin() {
        return new Endpoint("127.0.0.1", publisher.port(), "postgres", new Secret(publisher.password()));
    }

    private static String orders(Endpoint endpoint) throws SQLException {
        return value(endpoint, "shop", "select string_agg(item, ',' order by id) from orders");
    }

    private static int timeline(Endpoint endpoint) throws SQLException {
        return Integer.parseInt(
                value(endpoint, "postgres", "select substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)"), 16);
    }

    private static List<String> slots(Endpoint endpoint) throws SQLException {
        return column(
                endpoint,
                "postgres",
                "select slot_name || ' ' || slot_type || ' ' || active from pg_replication_slots order by 1");
    }

    /** {@code pg_dump --schema-only} of one database, the password in the environment of this test's child only. */
    private static String schema(Endpoint endpoint, String database, String... options) throws Exception {
        List<String> argv = new ArrayList<>(List.of(
                PG_BIN.resolve("pg_dump").toString(),
                "--schema-only",
                "--restrict-key=forkrunnertest",
                "--host=" + endpoint.host(),
                "--port=" + endpoint.port(),
                "--username=" + endpoint.user(),
                "--dbname=" + database));
        argv.addAll(List.of(options));
        ProcessBuilder builder = new ProcessBuilder(argv);
        builder.environment().put("PGPASSWORD", endpoint.password().reveal());
        Path errors = Files.createTempFile("pg_dump", ".err");
        builder.redirectError(errors.toFile());
        Process dump = builder.start();
        String text = new String(dump.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(dump.waitFor(2, TimeUnit.MINUTES)).isTrue();
        assertThat(dump.exitValue()).as(Files.readString(errors)).isZero();
        Files.delete(errors);
        return text;
    }

    /** What a libpq client that asks for no time zone or date style of its own sees: the server's defaults. */
    private static String psql(Endpoint endpoint, String sql) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(
                PG_BIN.resolve("psql").toString(),
                "--no-psqlrc",
                "--tuples-only",
                "--no-align",
                "--host=" + endpoint.host(),
                "--port=" + endpoint.port(),
                "--username=" + endpoint.user(),
                "--dbname=postgres",
                "--command=" + sql);
        builder.environment().keySet().removeIf(name -> name.startsWith("PG"));
        builder.environment().put("PGPASSWORD", endpoint.password().reveal());
        builder.redirectErrorStream(true);
        Process psql = builder.start();
        String output = new String(psql.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(psql.waitFor(1, TimeUnit.MINUTES)).isTrue();
        assertThat(psql.exitValue()).as(output).isZero();
        return output.strip();
    }

    /** SHA-256 of every regular file under {@code root}, by relative path. */
    private static Map<String, String> digests(Path root) throws IOException {
        Map<String, String> digests = new TreeMap<>();
        try (Stream<Path> tree = Files.walk(root)) {
            for (Path file : tree.filter(Files::isRegularFile).toList()) {
                try {
                    MessageDigest sha = MessageDigest.getInstance("SHA-256");
                    digests.put(
                            root.relativize(file).toString(),
                            HexFormat.of().formatHex(sha.digest(Files.readAllBytes(file))));
                } catch (java.security.NoSuchAlgorithmException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return digests;
    }

    private static long count(Path log, String text) throws IOException {
        try (Stream<String> lines = Files.lines(log, StandardCharsets.UTF_8)) {
            return lines.filter(line -> line.contains(text)).count();
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    // ---- SQL

    private static Connection connect(Endpoint endpoint, String database) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", endpoint.user());
        properties.setProperty("password", endpoint.password().reveal());
        properties.setProperty("prepareThreshold", "0");
        properties.setProperty("connectTimeout", "10");
        return DriverManager.getConnection(
                "jdbc:postgresql://" + endpoint.host() + ":" + endpoint.port() + "/" + database, properties);
    }

    private static String value(Endpoint endpoint, String database, String sql) throws SQLException {
        List<String> values = column(endpoint, database, sql);
        return values.isEmpty() ? null : values.get(0);
    }

    private static List<String> column(Endpoint endpoint, String database, String sql) throws SQLException {
        try (Connection connection = connect(endpoint, database);
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery(sql)) {
            List<String> values = new ArrayList<>();
            while (rows.next()) {
                values.add(rows.getString(1));
            }
            return values;
        }
    }
}
