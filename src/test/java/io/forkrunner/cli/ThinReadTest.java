package io.forkrunner.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.forkrunner.testing.CliResult;
import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestHome;
import io.forkrunner.testing.TestSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The commands that only read answer from a thin context: no Quartz scheduler, Flyway, web server, connection pool or
 * Spring Batch job registry, and the same output as the full start; the full start answers when the thin one cannot.
 */
class ThinReadTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** Classes that only a scheduler, a migration, a web server, a pool, a job registry or Spring Boot load. */
    private static final List<String> FULL_START_ONLY = List.of(
            "org.quartz.impl.StdSchedulerFactory",
            "org.quartz.core.QuartzScheduler",
            "org.flywaydb.core.Flyway",
            "org.apache.catalina.startup.Tomcat",
            "com.zaxxer.hikari.HikariDataSource",
            "org.springframework.batch.core.configuration.JobRegistry",
            "org.springframework.boot.SpringApplication");

    static TestHome home;
    static long failedRun;
    static int poolPort;

    @BeforeAll
    static void aHomeWithRunsForksSchedulesAndBackups() throws Exception {
        home = TestHome.create("thin-read");
        TestSource source = TestSource.start(home, "shop", "Src-pw-7d2a");
        Ports.Range ports = Ports.range(10);
        int forkPort = ports.first() + 1;
        poolPort = ports.first() + 2;
        home.declareServices(
                ports,
                source.serviceYaml("eu-local", "{ keep: 2, wal: stream }"),
                source.serviceYamlAs("bare", "eu-local", "{ keep: 1, wal: none }"));
        home.job("nightly", """
                source: shop
                target:
                  name: nightly-{run}
                schedule:
                  cron: "0 30 2 * * ?"
                  zone: Europe/Helsinki
                """);
        home.job("hourly", """
                source: shop
                target:
                  name: hourly-{run}
                schedule:
                  cron: "0 15 * * * ?"
                  zone: UTC
                """);
        home.job("orphan", """
                source: bare
                target:
                  name: orphan-{run}
                """);
        home.backUp("shop");
        failedRun = failedRun();
        CliResult schedules = home.cli("schedules"); // places the triggers
        assertThat(schedules.exitCode()).as(schedules.toString()).isZero();
        sql("insert into forks (name, job, run_id, source, region, engine, version, point_in_time, backup_id, host,"
                + " port, pool_port, created_at) values ('nightly-1', 'nightly', 1, 'shop', 'eu-local', 'postgresql',"
                + " 17, now() - interval '1 day', 'b1', '127.0.0.1', " + forkPort + ", " + poolPort
                + ", now() - interval '2 hours')");
    }

    @AfterAll
    static void close() {
        home.close();
    }

    @Test
    void eachReadCommandStartsNoSchedulerMigrationWebServerOrJobRegistryAndPrintsWhatTheFullStartPrints()
            throws Exception {
        List<List<String>> commands = List.of(
                List.of("status"),
                List.of("status", String.valueOf(failedRun)),
                List.of("forks", "--json"),
                List.of("backups", "shop"),
                List.of("schedules", "--json"));
        for (List<String> command : commands) {
            Path classes = home.path("var/classes-" + String.join("-", command) + ".log");
            CliResult thin = home.cliInChild(
                    Map.of("JAVA_TOOL_OPTIONS", "-Xlog:class+load:file=" + classes), command.toArray(String[]::new));
            CliResult full = home.cliInChild(Map.of("FORKRUNNER_THIN_READS", "off"), command.toArray(String[]::new));

            assertThat(thin.exitCode()).as(thin.toString()).isZero();
            assertThat(full.exitCode()).as(full.toString()).isZero();
            assertThat(thin.out()).as(String.join(" ", command)).isNotBlank().isEqualTo(full.out());
            String loaded = Files.readString(classes);
            assertThat(loaded).contains(" io.forkrunner.Reading ");
            for (String fullStartOnly : FULL_START_ONLY) {
                assertThat(loaded)
                        .as("%s loaded by %s", fullStartOnly, command)
                        .doesNotContain(" " + fullStartOnly + " ");
            }
        }
        assertThat(home.cli("forks").out())
                .contains("nightly-1", String.valueOf(poolPort))
                .containsPattern("1[0-9]{2} min \\d+ s");
    }

    @Test
    void aRunLeftRunningByAProcessThatDiedIsMarkedFailedBeforeStatusShowsIt() throws Exception {
        long run = failedRun();
        // as a process killed during the run leaves it: running, no lease, its lock free
        sql("update batch_job_execution set status = 'STARTED', exit_code = 'UNKNOWN', end_time = null"
                + " where job_instance_id = " + run);

        CliResult status = home.cli("status", "--json");

        assertThat(status.exitCode()).as(status.toString()).isZero();
        JsonNode shown = null;
        for (JsonNode each : JSON.readTree(status.out())) {
            if (each.path("run").asLong() == run) {
                shown = each;
            }
        }
        assertThat(shown).isNotNull();
        assertThat(shown.path("state").asText()).isEqualTo("FAILED");
        assertThat(sql("select status from batch_job_execution where job_instance_id = " + run))
                .isEqualTo("FAILED");
    }

    @Test
    void aJobWhoseScheduleWasEditedIsShownWithItsNewScheduleNotTheStoredOne() {
        home.job("hourly", """
                source: shop
                target:
                  name: hourly-{run}
                schedule:
                  cron: "0 45 4 * * ?"
                  zone: UTC
                """);

        CliResult listed = home.cli("schedules", "--json");

        assertThat(listed.exitCode()).as(listed.toString()).isZero();
        JsonNode hourly = null;
        for (JsonNode job : JSON.readTree(listed.out())) {
            if (job.path("schedule").path("job").asText().equals("hourly")) {
                hourly = job.path("schedule");
            }
        }
        assertThat(hourly).isNotNull();
        assertThat(hourly.path("cron").asText()).isEqualTo("0 45 4 * * ?");
        assertThat(hourly.path("nextFires")).hasSize(3);
        for (JsonNode fire : hourly.path("nextFires")) {
            Instant time = Instant.parse(fire.asText());
            assertThat(time.atOffset(ZoneOffset.UTC).toLocalTime().toString()).isEqualTo("04:45");
        }
    }

    @Test
    void aReadCommandInThisJvmLeavesNoConnectionToTheMetadataStoreOpen() throws Exception {
        for (List<String> command :
                List.of(List.of("status"), List.of("forks"), List.of("backups", "shop"), List.of("schedules"))) {
            List<String> argv = new ArrayList<>(command);
            argv.add("--json");
            CliResult result = home.cli(argv.toArray(String[]::new));
            assertThat(result.exitCode()).as(result.toString()).isZero();
        }
        // a closed session leaves pg_stat_activity a moment after its client has gone
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            try (Connection metadata = home.metadataConnection();
                    Statement statement = metadata.createStatement();
                    ResultSet row = statement.executeQuery("select count(*) from pg_stat_activity"
                            + " where datname = current_database() and application_name = 'forkrunner-read'")) {
                row.next();
                assertThat(row.getInt(1))
                        .as("connections of read commands that have ended")
                        .isZero();
            }
        });
    }

    @Test
    void badInputKeepsItsExitCodeAndNamesWhatExists() {
        CliResult backups = home.cli("backups", "nosuch");
        assertThat(backups.exitCode()).isEqualTo(2);
        assertThat(backups.err()).contains("SERVICE", "nosuch", "shop");

        CliResult status = home.cli("status", "987654");
        assertThat(status.exitCode()).as(status.toString()).isEqualTo(2);
        assertThat(status.err()).contains("987654");
    }

    @Test
    void aMetadataStoreNotYetMigratedIsMigratedByTheFullStartAndAnswered() throws Exception {
        try (TestHome fresh = TestHome.create("thin-read-fresh")) {
            CliResult forks = fresh.cli("forks");
            assertThat(forks.exitCode()).as(forks.toString()).isZero();
            assertThat(forks.out()).startsWith("FORK ");

            // a store one migration behind: the newest migration's table and its row in the history are gone
            try (Connection metadata = fresh.metadataConnection();
                    Statement statement = metadata.createStatement()) {
                statement.execute("drop table rename_holders");
                statement.execute("delete from flyway_schema_history where script = 'V11__rename_holders.sql'");
            }
            CliResult status = fresh.cli("status");
            assertThat(status.exitCode()).as(status.toString()).isZero();
            assertThat(status.out()).startsWith("RUN ");
            try (Connection metadata = fresh.metadataConnection();
                    Statement statement = metadata.createStatement();
                    ResultSet row = statement.executeQuery("select to_regclass('rename_holders') is not null")) {
                row.next();
                assertThat(row.getBoolean(1))
                        .as("the full start migrated the store")
                        .isTrue();
            }
        }
    }

    @Test
    void aRunStartsNoMigrationOnAMigratedStoreNorWebServerMetricsExportOrHttpClientItDoesNotUse() throws Exception {
        Path classes = home.path("var/classes-run.log");
        CliResult run =
                home.cliInChild(Map.of("JAVA_TOOL_OPTIONS", "-Xlog:class+load:file=" + classes), "run", "orphan");
        assertThat(run.exitCode()).as(run.toString()).isEqualTo(1);
        assertThat(run.err()).contains("service bare has no backup to fork from");
        String loaded = Files.readString(classes);
        assertThat(loaded)
                .as("the run started its job in the full context, on the connection pool")
                .contains(" io.forkrunner.fork.PickBackup ", " com.zaxxer.hikari.HikariDataSource ");
        for (String unused : List.of(
                "org.flywaydb.core.internal.command.DbValidate", // Flyway's class itself loads to test a condition
                "org.flywaydb.core.internal.command.DbMigrate",
                "org.apache.catalina.startup.Tomcat",
                "io.micrometer.prometheusmetrics.PrometheusMeterRegistry",
                "jdk.internal.net.http.HttpClientImpl")) {
            assertThat(loaded).as("%s loaded by run", unused).doesNotContain(" " + unused + " ");
        }
    }

    /** A run of job orphan, which fails at once: its source has no backup. */
    private static long failedRun() {
        CliResult run = home.cli("run", "orphan");
        assertThat(run.exitCode()).as(run.toString()).isEqualTo(1);
        JsonNode runs = JSON.readTree(home.cli("status", "--json").out());
        for (JsonNode each : runs) {
            if (each.path("job").asText().equals("orphan")) {
                return each.path("run").asLong(); // newest first
            }
        }
        throw new AssertionError("no run of orphan: " + runs);
    }

    private static String sql(String sql) throws SQLException {
        try (Connection metadata = home.metadataConnection();
                Statement statement = metadata.createStatement()) {
            if (!statement.execute(sql)) {
                return null;
            }
            try (ResultSet rows = statement.getResultSet()) {
                return rows.next() ? rows.getString(1) : null;
            }
        }
    }
}
