package io.forkrunner.fork;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.forkrunner.testing.CliResult;
import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestHome;
import io.forkrunner.testing.TestSource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Runs executed by real forkrunner processes that are killed, stopped and restarted. Laying the backup down is slowed
 * ({@code runs.copy-rate}) so that a test can act while a run is in its restore step; leases are short.
 */
class ForkRestartTest {

    static final JsonMapper JSON = JsonMapper.builder().build();
    static final Duration LEASE = Duration.ofSeconds(6);
    static TestHome home;
    static TestSource source;

    @BeforeAll
    static void slowRestores() throws Exception {
        home = TestHome.create("fork-restart");
        source = TestSource.start(home, "shop", "Shop-pw-2f8e");
        source.sql("create database shop");
        try (Connection shop = source.connect("shop");
                Statement statement = shop.createStatement()) {
            statement.execute(
                    "create table items as select g as id, md5(g::text) as note from generate_series(1, 5000) g");
        }
        home.addSettings("""
                runs:
                  lease: %ds
                  copy-rate: 2MB
                """.formatted(LEASE.toSeconds()));
        home.declareServices(Ports.range(20), source.serviceYaml("eu-local", "{ keep: 2, wal: stream }"));
        for (String job : List.of("killed", "alive", "terminated")) {
            home.job(job, """
                    source: shop
                    database: shop
                    target:
                      name: %s-{run}
                    checks:
                      - select count(*) = 5000 from items
                    """.formatted(job));
        }
        home.serveAndBackUp("shop");
    }

    @AfterAll
    static void close() {
        home.close();
    }

    @Test
    void aRunKilledDuringRestoreIsFailedOnlyAfterItsLeaseAndRestartsFromThatStepWithTheSameBackup() throws Exception {
        Process runner = home.start("killed", Map.of(), "run", "killed");
        JsonNode running = awaitRestoring("killed");
        long run = running.path("run").asLong();
        runner.destroyForcibly(); // kill -9
        runner.waitFor(30, TimeUnit.SECONDS);

        CliResult early = home.cli("restart", String.valueOf(run));
        assertThat(early.exitCode()).as(early.toString()).isEqualTo(1);
        assertThat(early.err()).contains("renewed by", "retry after");

        home.awaitLeaseExpired(run);
        CliResult restarted = home.cli("restart", String.valueOf(run), "--json");
        assertThat(restarted.exitCode()).as(restarted.toString()).isZero();
        JsonNode finished = JSON.readTree(restarted.out());
        assertThat(finished.path("state").asText()).isEqualTo("COMPLETED");
        assertThat(finished.path("backup").asText())
                .isEqualTo(running.path("backup").asText());
        assertThat(finished.path("fork").asText())
                .isEqualTo(running.path("fork").asText());
        assertThat(home.executionsPerStep(run)).contains("pick-backup|1", "provision|1", "restore-data|2", "verify|1");
        assertThat(countOnFork(finished.path("fork").asText())).isEqualTo(5000);
    }

    @Test
    void aLiveRunIsNeverMarkedFailedAndTwoRestartsAtOnceGiveOneExecution() throws Exception {
        Process runner = home.start("alive", Map.of(), "run", "alive");
        long run = awaitRestoring("alive").path("run").asLong();

        CliResult intruder = home.cli("restart", String.valueOf(run));
        assertThat(intruder.exitCode()).isEqualTo(1);
        assertThat(intruder.err()).contains("executing or being restarted in another process");
        Thread.sleep(LEASE.plusSeconds(2).toMillis()); // longer than a lease: the live process renews it

        assertThat(state(run)).isEqualTo("STARTED");

        CliResult stopped = home.cli("stop", String.valueOf(run));
        assertThat(stopped.exitCode()).as(stopped.toString()).isZero();
        assertThat(stopped.out()).contains("STOPPED");
        assertThat(runner.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(state(run)).isEqualTo("STOPPED");

        List<Process> restarts = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            restarts.add(home.start("restart-" + i, Map.of(), "restart", String.valueOf(run)));
        }
        int succeeded = 0;
        for (Process restart : restarts) {
            assertThat(restart.waitFor(180, TimeUnit.SECONDS)).isTrue();
            succeeded += restart.exitValue() == 0 ? 1 : 0;
        }
        assertThat(succeeded).isEqualTo(1);
        assertThat(state(run)).isEqualTo("COMPLETED");
        try (Connection metadata = home.metadataConnection();
                Statement statement = metadata.createStatement();
                ResultSet row = statement.executeQuery(
                        "select count(*) from batch_job_execution where job_instance_id = " + run)) {
            row.next();
            assertThat(row.getInt(1)).as("the first execution and one restart").isEqualTo(2);
        }
    }

    @Test
    void sigtermLeavesTheRunStoppedAndItsRestartCompletesIt() throws Exception {
        Process runner = home.start("terminated", Map.of(), "run", "terminated");
        long run = awaitRestoring("terminated").path("run").asLong();
        runner.destroy(); // SIGTERM
        assertThat(runner.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(state(run)).as(home.read("var/log/terminated.out")).isEqualTo("STOPPED");

        // the serve running beside resumes a run that a shutdown stopped: whichever restarts it first completes it
        CliResult restarted = home.restartOnceReleased(run);
        if (restarted.exitCode() != 0) {
            assertThat(restarted.err()).as(restarted.toString()).contains("run " + run + " is complete");
            assertThat(home.read("var/log/forkrunner.log")).contains("taking over run " + run + " ");
        }
        assertThat(state(run)).isEqualTo("COMPLETED");
        String fork = JSON.readTree(
                        home.cli("status", String.valueOf(run), "--json").out())
                .path("fork")
                .asText();
        assertThat(countOnFork(fork)).isEqualTo(5000);
    }

    // ---- helpers

    /** Waits until the job's newest run is laying its backup down, and returns that run. */
    private static JsonNode awaitRestoring(String job) {
        return await().atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(300))
                .ignoreExceptions()
                .until(() -> home.runRestoring(job, TestHome::layingDown), run -> run != null);
    }

    private static String state(long run) {
        return JSON.readTree(home.cli("status", String.valueOf(run), "--json").out())
                .path("state")
                .asText();
    }

    private static int countOnFork(String fork) throws Exception {
        int port = home.forkPort(fork);
        Properties login = new Properties();
        login.setProperty("user", "postgres");
        login.setProperty("password", source.password());
        try (Connection connection =
                        DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/shop", login);
                Statement statement = connection.createStatement();
                ResultSet row = statement.executeQuery("select count(*) from items")) {
            row.next();
            return row.getInt(1);
        }
    }
}
