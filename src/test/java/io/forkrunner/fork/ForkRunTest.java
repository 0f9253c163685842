package io.forkrunner.fork;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.forkrunner.testing.CliResult;
import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestHome;
import io.forkrunner.testing.TestSource;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Fork runs against a real source whose WAL {@code serve} archives: what the forks hold, and what runs refuse. */
class ForkRunTest {

    static final JsonMapper JSON = JsonMapper.builder().build();
    static TestHome home;
    static TestSource source;
    static ServerSocket occupied;
    static Ports.Range us;
    static final int WEBHOOK_PORT = Ports.one();

    @BeforeAll
    static void sourceWithBackupAndArchive() throws Exception {
        home = TestHome.create("fork-run");
        source = TestSource.start(home, "shop", "Shop-pw-51d0");
        source.sql("create role app login password 'App-pw-77'");
        source.sql("create role readers");
        source.sql("grant readers to app");
        source.sql("create database shop owner app");
        shop("create table orders (id int primary key, item text); grant select on orders to readers");
        us = Ports.range(9);
        Ports.Range full = Ports.range(1);
        occupied = new ServerSocket(full.first(), 1, InetAddress.getLoopbackAddress());
        home.write("config/services.yml", """
                regions:
                  eu-local: { provisioner: local, root: var/regions/eu, ports: %s }
                  us-local: { provisioner: local, root: var/regions/us, ports: %s }
                  full: { provisioner: local, root: var/regions/full, ports: %s }
                services:
                %s%s%s""".formatted(
                        Ports.range(50).yaml(),
                        us.yaml(),
                        full.yaml(),
                        source.serviceYaml("eu-local", "{ keep: 3, wal: stream }"),
                        TestSource.appPool(4),
                        source.serviceYamlAs("nobackup", "eu-local", "{ keep: 1, wal: stream }")));
        home.job("copy", """
                source: shop
                target:
                  name: copy-{run}
                retention:
                  keep: 2
                checks:
                  - select count(*) >= 0 from orders
                """);
        home.job("clone-us", """
                source: shop
                target:
                  name: clone-{run}
                  region: us-local
                """);
        home.job("orphan", """
                source: nobackup
                target:
                  name: orphan-{run}
                """);
        home.job("bare", """
                source: shop
                target:
                  name: bare-{run}
                users: none
                pools: none
                """);
        home.job("doubtful", """
                source: shop
                target:
                  name: doubtful-{run}
                checks:
                  - select count(*) >= 0 from orders
                  - select count(*) < 0 from orders
                """);
        home.job("announced", """
                source: shop
                target:
                  name: announced-{run}
                integrations:
                  - { type: webhook, url: "http://127.0.0.1:%d/forks" }
                  - { type: prometheus, file: var/prometheus/forks.json }
                retention:
                  keep: 1
                """.formatted(WEBHOOK_PORT));
        home.job("crowded", """
                source: shop
                target:
                  name: crowded-{run}
                  region: full
                """);
        home.job("flaky", """
                source: shop
                target:
                  name: flaky-{run}
                integrations:
                  - { type: sql, file: jobs/sql/mark.sql }
                  - { type: command, argv: ["test", "-f", "%s"] }
                """.formatted(home.path("var/ready")));
        home.write(
                "jobs/sql/mark.sql",
                "insert into orders values (-1, 'marked by the sql integration') on conflict do nothing;\n");
        home.serveAndBackUp("shop");
    }

    @AfterAll
    static void close() throws IOException {
        occupied.close();
        home.close();
    }

    @Test
    void aForkToTimeTHoldsExactlyTheRowsCommittedUpToT() throws Exception {
        shop("insert into orders select g, 'before' from generate_series(1, 100) g");
        Thread.sleep(1100);
        Instant t = Instant.now();
        Thread.sleep(1100);
        shop("insert into orders select g, 'after' from generate_series(101, 150) g");
        awaitArchived();

        JsonNode run = run("copy", "--at", t.toString());
        assertThat(run.path("state").asText()).isEqualTo("COMPLETED");
        try (Connection fork = fork(run, "shop")) {
            assertThat(scalar(fork, "select count(*) from orders where id between 1 and 150"))
                    .isEqualTo("100");
            assertThat(scalar(fork, "select count(*) from orders where item = 'after'"))
                    .isEqualTo("0");
        }
        assertThat(Instant.parse(run.path("pointInTime").asText())).isEqualTo(t);
    }

    @Test
    void aForkToLatestHoldsTheLastCommittedRowAndTheSourceSchema() throws Exception {
        shop("create table if not exists events (id serial primary key, at timestamptz default now(), note text)");
        shop("create index if not exists events_at on events (at)");
        shop("insert into events (note) values ('last row')");
        awaitArchived();

        JsonNode run = run("clone-us");
        assertThat(run.path("state").asText()).isEqualTo("COMPLETED");
        assertThat(step(run, "restore-data").path("report").path("lay-down").asText())
                .as("on a file system that cannot clone, the backup is copied")
                .isEqualTo("copied");
        try (Connection fork = fork(run, "shop")) {
            assertThat(scalar(fork, "select note from events order by id desc limit 1"))
                    .isEqualTo("last row");
            assertThat(scalar(fork, "select count(*) from orders"))
                    .isEqualTo(scalarOnSource("select count(*) from orders"));
            assertThat(scalar(fork, "select pg_is_in_recovery()")).isEqualTo("f");
            for (String replayOnly : List.of("shared_buffers", "wal_buffers", "maintenance_io_concurrency")) {
                assertThat(scalar(fork, "show " + replayOnly))
                        .as("%s of the fork once it is open: the source's, not replay's", replayOnly)
                        .isEqualTo(scalarOnSource("show " + replayOnly));
            }
        }
        JsonNode fork = forkRecord(run.path("fork").asText());
        assertThat(fork.path("region").asText()).isEqualTo("us-local");
        assertThat(fork.path("port").asInt()).isBetween(us.first(), us.last());
        assertThat(schemaDump(source.port(), "shop"))
                .isEqualTo(schemaDump(fork.path("port").asInt(), "shop"));
    }

    @Test
    void rolesVerifiersAndMembershipsAreTheSourcesAndAnAppRoleReadsThroughThePool() throws Exception {
        JsonNode run = run("copy");
        assertThat(run.path("state").asText()).as(run.toString()).isEqualTo("COMPLETED");
        String roles = "select rolname, rolsuper, rolcanlogin, rolcreatedb, rolconnlimit, rolpassword from pg_authid"
                + " where rolname !~ '^pg_' order by 1";
        String members = "select r.rolname, m.rolname from pg_auth_members a join pg_roles r on r.oid = a.roleid"
                + " join pg_roles m on m.oid = a.member order by 1, 2";
        try (Connection fork = fork(run, "postgres");
                Connection original = source.connect("postgres")) {
            assertThat(rows(fork, roles)).isEqualTo(rows(original, roles)).isNotEmpty();
            assertThat(rows(fork, members)).isEqualTo(rows(original, members)).contains("readers|app");
        }
        int poolPort = forkRecord(run.path("fork").asText()).path("poolPort").asInt();
        Properties app = new Properties();
        app.setProperty("user", "app");
        app.setProperty("password", "App-pw-77");
        app.setProperty("preferQueryMode", "simple");
        try (Connection pooled = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + poolPort + "/app", app)) {
            assertThat(scalar(pooled, "select current_user")).isEqualTo("app");
            try (Connection direct = fork(run, "shop")) {
                assertThat(scalar(pooled, "select count(*) from orders"))
                        .as("the pool leads to the fork's database")
                        .isEqualTo(scalar(direct, "select count(*) from orders"));
            }
        }
        app.setProperty("password", "wrong");
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + poolPort + "/app", app))
                .hasMessageContaining("authentication failed");
    }

    @Test
    void withUsersNoneTheForksRolesLoseTheirPasswordsButForkrunnersLogin() throws Exception {
        JsonNode run = run("bare");
        assertThat(run.path("state").asText()).isEqualTo("COMPLETED");
        try (Connection fork = fork(run, "postgres")) {
            assertThat(rows(fork, "select rolname from pg_authid where rolpassword is not null"))
                    .containsExactly("postgres");
            assertThat(rows(fork, "select rolname from pg_roles where rolname in ('app', 'readers') order by 1"))
                    .containsExactly("app", "readers");
        }
        assertThat(forkRecord(run.path("fork").asText()).path("poolPort").isNull())
                .isTrue();
    }

    @Test
    void serveStartsAForkAndItsPoolsThatStoppedBehindItsBack() throws Exception {
        JsonNode run = run("copy");
        JsonNode fork = forkRecord(run.path("fork").asText());
        Path directory = home.path("var/regions/eu/" + fork.path("name").asText());
        ProcessBuilder stop = new ProcessBuilder(
                "runuser",
                "-u",
                "postgres",
                "--",
                "/usr/lib/postgresql/15/bin/pg_ctl",
                "-D",
                directory.resolve("data").toString(),
                "-m",
                "fast",
                "stop");
        assertThat(stop.inheritIO().start().waitFor()).isZero();
        long pooler = Long.parseLong(
                Files.readString(directory.resolve("pgbouncer/pgbouncer.pid")).strip());
        ProcessHandle.of(pooler).ifPresent(ProcessHandle::destroy);
        await().atMost(Duration.ofSeconds(10))
                .until(() ->
                        !ProcessHandle.of(pooler).map(ProcessHandle::isAlive).orElse(false));

        home.start("serve-again", Map.of(), "serve");
        int poolPort = fork.path("poolPort").asInt();
        await().atMost(Duration.ofSeconds(90)).ignoreExceptions().untilAsserted(() -> {
            try (Connection server = fork(run, "shop")) {
                assertThat(scalar(server, "select 1")).isEqualTo("1");
            }
            Properties app = new Properties();
            app.setProperty("user", "app");
            app.setProperty("password", "App-pw-77");
            app.setProperty("preferQueryMode", "simple");
            try (Connection pooled =
                    DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + poolPort + "/app", app)) {
                assertThat(scalar(pooled, "select current_user")).isEqualTo("app");
            }
        });
    }

    @Test
    void aCheckThatIsNotTrueFailsTheRunAtVerify() {
        CliResult result = home.cli("run", "doubtful", "--json");
        assertThat(result.exitCode()).isEqualTo(1);
        JsonNode run = JSON.readTree(result.out());
        assertThat(step(run, "verify").path("state").asText()).isEqualTo("FAILED");
        assertThat(run.path("error").asText()).contains("check failed", "select count(*) < 0 from orders");
        assertThat(step(run, "register").path("state").asText()).isEqualTo("PENDING");
    }

    @Test
    void theSameRunNeverRunsTwice() {
        CliResult first = home.cli("run", "bare", "--trigger", "schedule:2026-11-26T02:30:00Z");
        assertThat(first.exitCode()).as(first.toString()).isZero();
        CliResult again = home.cli("run", "bare", "--trigger", "schedule:2026-11-26T02:30:00Z");
        assertThat(again.exitCode()).isEqualTo(1);
        assertThat(again.err()).contains("completed already; it never runs twice");
    }

    @Test
    void aWebhookIsRetriedUntilItAnswersAndPrometheusListsTheForks() throws Exception {
        List<String> bodies = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        com.sun.net.httpserver.HttpServer receiver =
                com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", WEBHOOK_PORT), 0);
        receiver.createContext("/forks", exchange -> {
            bodies.add(new String(exchange.getRequestBody().readAllBytes()));
            int status = calls.incrementAndGet() < 3 ? 503 : 204; // answers on the third attempt
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
        });
        receiver.start();
        try {
            JsonNode first = run("announced");
            assertThat(first.path("state").asText()).isEqualTo("COMPLETED");
            assertThat(calls.get()).isEqualTo(3);
            JsonNode payload = JSON.readTree(bodies.get(2));
            assertThat(payload.path("job").asText()).isEqualTo("announced");
            assertThat(payload.path("run").asLong()).isEqualTo(first.path("run").asLong());
            assertThat(payload.path("fork").asText())
                    .isEqualTo(first.path("fork").asText());
            JsonNode record = forkRecord(first.path("fork").asText());
            assertThat(payload.path("server").path("port").asInt())
                    .isEqualTo(record.path("port").asInt());
            assertThat(payload.path("pools").path("port").asInt())
                    .isEqualTo(record.path("poolPort").asInt());
            assertThat(bodies).allMatch(body -> !body.contains(source.password()) && !body.contains("App-pw-77"));

            JsonNode second = run("announced");
            JsonNode targets = JSON.readTree(home.read("var/prometheus/forks.json"));
            assertThat(targets).hasSize(1); // keep: 1 dropped the first fork, and the list follows
            assertThat(targets.path(0).path("labels").path("fork").asText())
                    .isEqualTo(second.path("fork").asText());
            int port = forkRecord(second.path("fork").asText()).path("port").asInt();
            assertThat(targets.path(0).path("targets").path(0).asText()).isEqualTo("127.0.0.1:" + port);
        } finally {
            receiver.stop(0);
        }
    }

    @Test
    void aFailingIntegrationFailsTheRunAndARestartDoesNotRedoTheEarlierSteps() throws Exception {

        CliResult failed = home.cli("run", "flaky", "--json");
        assertThat(failed.exitCode()).as(failed.toString()).isEqualTo(1);
        JsonNode run = JSON.readTree(failed.out());
        long id = run.path("run").asLong();
        assertThat(step(run, "reapply-integrations").path("state").asText()).isEqualTo("FAILED");
        assertThat(step(run, "reapply-integrations").path("report").path("done").asText())
                .isEqualTo("1");
        assertThat(step(run, "verify").path("state").asText()).isEqualTo("PENDING");

        Files.writeString(home.path("var/ready"), "yes");
        CliResult restarted = home.cli("restart", String.valueOf(id), "--json");
        assertThat(restarted.exitCode()).as(restarted.toString()).isZero();
        assertThat(JSON.readTree(restarted.out()).path("executions").asInt()).isEqualTo(2);
        try (Connection metadata = home.metadataConnection()) {
            String executionsPerStep = "select s.step_name, count(*) from batch_step_execution s"
                    + " join batch_job_execution e on e.job_execution_id = s.job_execution_id"
                    + " where e.job_instance_id = " + id + " group by 1 order by 1";
            assertThat(rows(metadata, executionsPerStep))
                    .containsExactlyInAnyOrder(
                            "copy-configuration|1",
                            "copy-users-and-pools|1",
                            "pick-backup|1",
                            "provision|1",
                            "reapply-integrations|2",
                            "register|1",
                            "restore-data|1",
                            "verify|1");
        }
        try (Connection fork = fork(JSON.readTree(restarted.out()), "shop")) {
            // the sql integration ran once, before the failure, and was not run again
            assertThat(scalar(fork, "select count(*) from orders where id = -1"))
                    .isEqualTo("1");
        }
    }

    @Test
    void aSourceWithoutABackupIsRefusedSayingWhatToDoAndLeavesNothing() throws Exception {
        CliResult result = home.cli("run", "orphan");
        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.out() + result.err()).contains("has no backup", "forkrunner backup nobackup");
        assertNothingLeftFor("orphan-");
    }

    @Test
    void aTimeBeforeTheWindowIsRefusedWithTheWindowAndLeavesNothing() throws Exception {
        CliResult result = home.cli("run", "copy", "--at", "2020-01-01T00:00:00Z");
        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.out() + result.err()).contains("outside the point-in-time window", "--at");
        JsonNode runs = JSON.readTree(home.cli("status", "--json").out());
        assertThat(runs.path(0).path("fork").isNull()).isTrue();
        assertNothingLeftFor("copy-" + runs.path(0).path("run").asText());
    }

    @Test
    void aRegionWithoutAFreePortIsRefusedSayingWhatToDoAndLeavesNothing() throws Exception {
        CliResult result = home.cli("run", "crowded");
        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.out() + result.err()).contains("no free port", "drop forks");
        assertNothingLeftFor("crowded-");
        assertThat(home.path("var/regions/full"))
                .satisfiesAnyOf(
                        path -> assertThat(path).doesNotExist(),
                        path -> assertThat(path).isEmptyDirectory());
    }

    @Test
    void aSubscriptionOnTheSourceIsDisabledOnTheForkAndNeverConnects() throws Exception {
        source.sql("create database publisher");
        try (Connection publisher = source.connect("publisher");
                Statement statement = publisher.createStatement()) {
            statement.execute("create table feed (id int primary key)");
            statement.execute("create publication feed_pub for table feed");
        }
        try (Connection publisher = source.connect("publisher");
                Statement statement = publisher.createStatement()) {
            // a subscription to the same server cannot create its slot itself: create it first
            statement.execute("select pg_create_logical_replication_slot('feed_sub', 'pgoutput')");
        }
        source.sql("create database subscriber");
        try (Connection subscriber = source.connect("subscriber");
                Statement statement = subscriber.createStatement()) {
            statement.execute("create table feed (id int primary key)");
            statement.execute("create subscription feed_sub connection 'host=127.0.0.1 port=" + source.port()
                    + " dbname=publisher user=postgres password=" + source.password()
                    + "' publication feed_pub with (create_slot = false)");
        }

        awaitArchived();
        String slotActivity = "select count(*) from pg_stat_replication where application_name = 'feed_sub'";
        await().atMost(Duration.ofSeconds(30)).until(() -> "1".equals(scalarOnSource(slotActivity)));

        JsonNode run = run("copy");
        assertThat(run.path("state").asText()).isEqualTo("COMPLETED");
        try (Connection fork = fork(run, "subscriber")) {
            assertThat(rows(fork, "select subname, subenabled, subslotname is null from pg_subscription"))
                    .containsExactly("feed_sub|f|t");
        }
        Thread.sleep(3000);
        // only the source's own subscriber is connected to its publisher: none from the fork
        assertThat(scalarOnSource(slotActivity)).isEqualTo("1");
        String forkPid = null;
        try (Connection fork = fork(run, "postgres")) {
            forkPid = scalar(
                    fork, "select count(*) from pg_stat_activity where backend_type = 'logical replication worker'");
        }
        assertThat(forkPid).isEqualTo("0");
        try (Connection subscriber = source.connect("subscriber");
                Statement statement = subscriber.createStatement()) {
            statement.execute("drop subscription feed_sub");
        }
    }

    @Test
    void retentionKeepsTheTwoNewestForksOfAJob() throws Exception {
        List<String> forks = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            JsonNode run = run("copy");
            assertThat(run.path("state").asText()).isEqualTo("COMPLETED");
            forks.add(run.path("fork").asText());
        }
        JsonNode listed = JSON.readTree(home.cli("forks", "--json").out());
        List<String> kept = new ArrayList<>();
        listed.forEach(fork -> {
            if (fork.path("job").asText().equals("copy")) {
                kept.add(fork.path("name").asText());
            }
        });
        assertThat(kept).containsExactlyInAnyOrder(forks.get(1), forks.get(2));
        assertNothingLeftFor(forks.get(0));
    }

    // ---- helpers

    private static JsonNode run(String job, String... more) {
        List<String> args = new ArrayList<>(List.of("run", job, "--json"));
        args.addAll(List.of(more));
        CliResult result = home.cli(args.toArray(String[]::new));
        assertThat(result.exitCode()).as(result.toString()).isZero();
        return JSON.readTree(result.out());
    }

    private static JsonNode step(JsonNode run, String name) {
        for (JsonNode step : run.path("steps")) {
            if (step.path("name").asText().equals(name)) {
                return step;
            }
        }
        throw new AssertionError("no step " + name);
    }

    private static JsonNode forkRecord(String name) {
        for (JsonNode fork : JSON.readTree(home.cli("forks", "--json").out())) {
            if (fork.path("name").asText().equals(name)) {
                return fork;
            }
        }
        throw new AssertionError("no fork " + name);
    }

    private static Connection fork(JsonNode run, String database) throws Exception {
        int port = forkRecord(run.path("fork").asText()).path("port").asInt();
        Properties login = new Properties();
        login.setProperty("user", "postgres");
        login.setProperty("password", source.password());
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/" + database, login);
    }

    private static void shop(String sql) throws Exception {
        try (Connection connection = source.connect("shop");
                Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    /** Waits until the archive's window reaches the newest commit on the source. */
    private static void awaitArchived() {
        Instant committed = Instant.now();
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofSeconds(1))
                .until(() -> {
                    JsonNode window = JSON.readTree(
                                    home.cli("backups", "shop", "--json").out())
                            .path("window");
                    return !window.path("to").isMissingNode()
                            && !Instant.parse(window.path("to").asText()).isBefore(committed.minusSeconds(1));
                });
    }

    private static String scalar(Connection connection, String sql) throws Exception {
        try (Statement statement = connection.createStatement();
                ResultSet row = statement.executeQuery(sql)) {
            return row.next() ? row.getString(1) : null;
        }
    }

    private static String scalarOnSource(String sql) throws Exception {
        try (Connection connection = source.connect("shop")) {
            return scalar(connection, sql);
        }
    }

    private static List<String> rows(Connection connection, String sql) throws Exception {
        List<String> rows = new ArrayList<>();
        try (Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery(sql)) {
            int columns = result.getMetaData().getColumnCount();
            while (result.next()) {
                List<String> values = new ArrayList<>();
                for (int i = 1; i <= columns; i++) {
                    values.add(result.getString(i));
                }
                rows.add(String.join("|", values));
            }
        }
        return rows;
    }

    private static String schemaDump(int port, String database) throws Exception {
        Path passfile = home.path("var/secrets/dump-passfile");
        Files.writeString(passfile, "127.0.0.1:*:*:postgres:" + source.password() + "\n");
        Files.setPosixFilePermissions(passfile, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        ProcessBuilder dump = new ProcessBuilder(
                "/usr/lib/postgresql/15/bin/pg_dump",
                "--schema-only",
                "--no-password",
                "--host=127.0.0.1",
                "--port=" + port,
                "--username=postgres",
                database);
        dump.environment().put("PGPASSFILE", passfile.toString());
        Process process = dump.redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String text = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor()).isZero();
        // pg_dump guards its output with a random key each time: not part of the schema
        return text.lines()
                .filter(line -> !line.startsWith("\\restrict") && !line.startsWith("\\unrestrict"))
                .collect(java.util.stream.Collectors.joining("\n"));
    }

    /** No instance, reservation, fork record or directory for forks whose names start with {@code prefix}. */
    private static void assertNothingLeftFor(String prefix) throws Exception {
        try (Connection metadata = home.metadataConnection()) {
            assertThat(rows(metadata, "select name from instances where name like '" + prefix + "%'"))
                    .isEmpty();
            assertThat(rows(metadata, "select owner from port_reservations where owner like '" + prefix + "%'"))
                    .isEmpty();
            assertThat(rows(metadata, "select name from forks where name like '" + prefix + "%'"))
                    .isEmpty();
        }
        for (String region : List.of("eu", "us", "full")) {
            Path root = home.path("var/regions/" + region);
            if (Files.isDirectory(root)) {
                try (var entries = Files.list(root)) {
                    assertThat(entries.map(path -> path.getFileName().toString()))
                            .noneMatch(name -> name.startsWith(prefix));
                }
            }
        }
    }
}
