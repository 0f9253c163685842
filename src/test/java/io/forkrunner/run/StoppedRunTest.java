package io.forkrunner.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.forkrunner.system.DirectoryTree;
import io.forkrunner.testing.CliResult;
import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestHome;
import io.forkrunner.testing.TestSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Runs stopped from outside, executed by real forkrunner processes while they lay a backup down (slowed by
 * {@code runs.copy-rate}): each says why it stopped, and stops at once.
 */
class StoppedRunTest {

    static final JsonMapper JSON = JsonMapper.builder().build();
    static final String SLOW = """
            runs:
              lease: 6s
              copy-rate: 1MB
            """;
    static TestHome home;
    static TestSource source;
    static String settings;
    static long backupBytes;

    @BeforeAll
    static void aSourceWithABackup() throws Exception {
        home = TestHome.create("stopped-run");
        source = TestSource.start(home, "shop", "Shop-pw-4c1d");
        source.sql("create database shop");
        try (Connection shop = source.connect("shop");
                Statement statement = shop.createStatement()) {
            statement.execute(
                    "create table items as select g as id, md5(g::text) as note from generate_series(1, 5000) g");
        }
        settings = home.read("config/forkrunner.yml");
        home.write("config/forkrunner.yml", settings + SLOW);
        home.declareServices(Ports.range(20), source.serviceYaml("eu-local", "{ keep: 2, wal: none }"));
        for (String job : new String[] {"fenced", "terminated"}) {
            home.job(job, """
                    source: shop
                    database: shop
                    target:
                      name: %s-{run}
                    """.formatted(job));
        }
        CliResult backup = home.cli("backup", "shop", "--json");
        assertThat(backup.exitCode()).as(backup.toString()).isZero();
        backupBytes = JSON.readTree(backup.out()).path("sizeBytes").asLong();
        assertThat(backupBytes).isGreaterThan(8L * 1024 * 1024);
    }

    @AfterAll
    static void close() {
        home.close();
    }

    @Test
    void aRunWhoseLockIsLostStopsAtOnceAndSaysSo() throws Exception {
        Process runner = home.start("fenced", Map.of(), "run", "fenced");
        JsonNode running = awaitLayingDown("fenced");
        long run = running.path("run").asLong();

        int ended = endLockSessions();
        assertThat(ended).as("sessions holding advisory locks").isPositive();
        assertThat(runner.waitFor(120, TimeUnit.SECONDS)).isTrue();

        JsonNode stopped = status(run);
        assertThat(stopped.path("state").asText()).isEqualTo("STOPPED");
        JsonNode step = TestHome.step(stopped, "restore-data");
        assertThat(step.path("state").asText()).isEqualTo("STOPPED");
        assertThat(step.path("error").asText())
                .contains("its lock in the metadata store was lost", "forkrunner restart " + run);
        assertThat(stopped.path("error").asText()).isEqualTo(step.path("error").asText());
        assertThat(home.cli("status", String.valueOf(run)).out()).contains("its lock in the metadata store was lost");
        // at once: the copy did not go on to the end of the backup after the lock was gone
        assertThat(DirectoryTree.size(
                        home.path("var/regions/eu/" + running.path("fork").asText() + "/data")))
                .isLessThan(backupBytes);
    }

    @Test
    void sigtermEndsTheRunWithExit143StoppedSayingWhyAndItsRestartCompletesIt() throws Exception {
        Process runner = home.start("terminated", Map.of(), "run", "terminated");
        long run = awaitLayingDown("terminated").path("run").asLong();

        runner.destroy(); // SIGTERM
        assertThat(runner.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(runner.exitValue()).isEqualTo(143);
        JsonNode stopped = status(run);
        assertThat(stopped.path("state").asText()).isEqualTo("STOPPED");
        assertThat(TestHome.step(stopped, "restore-data").path("error").asText())
                .contains("was shut down (SIGTERM", "forkrunner restart " + run);

        home.write("config/forkrunner.yml", settings);
        try {
            CliResult restarted = home.restartOnceReleased(run);
            assertThat(restarted.exitCode()).as(restarted.toString()).isZero();
            assertThat(JSON.readTree(restarted.out()).path("state").asText()).isEqualTo("COMPLETED");
        } finally {
            home.write("config/forkrunner.yml", settings + SLOW);
        }
    }

    private static JsonNode awaitLayingDown(String job) {
        return await().atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofMillis(300))
                .ignoreExceptions()
                .until(
                        () -> home.runRestoring(
                                job,
                                step -> step.path("state").asText().equals("STARTED")
                                        && step.path("progress").asText().startsWith("bytes laid down")),
                        run -> run != null);
    }

    /** Ends the metadata store's sessions that hold advisory locks: the locks of the run's process. */
    private static int endLockSessions() throws Exception {
        try (Connection metadata = home.metadataConnection();
                Statement statement = metadata.createStatement();
                ResultSet row = statement.executeQuery("select count(pg_terminate_backend(pid)) from"
                        + " (select distinct l.pid from pg_locks l join pg_stat_activity a on a.pid = l.pid"
                        + " where l.locktype = 'advisory' and a.datname = current_database()"
                        + " and l.pid <> pg_backend_pid()) holders")) {
            row.next();
            return row.getInt(1);
        }
    }

    private static JsonNode status(long run) {
        return JSON.readTree(home.cli("status", String.valueOf(run), "--json").out());
    }
}
