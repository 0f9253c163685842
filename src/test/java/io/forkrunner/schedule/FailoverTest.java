package io.forkrunner.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** Nodes that die or are stopped mid-run: the run is taken over, or resumed by the next start, from its checkpoint. */
class FailoverTest {

    static final String RUNS = """
            runs:
              lease: 8s
              copy-rate: 4MB
            """;

    @Test
    void whenTheNodeRunningARestoreIsKilledTheOtherNodeCompletesTheRun() throws Exception {
        try (ScheduledHome cluster = ScheduledHome.create("failover", RUNS)) {
            Process a = cluster.node("node-a");
            Process b = cluster.node("node-b");
            cluster.scheduleAhead(8, 1, 1, Map.of("once", ""), "");

            JsonNode restoring = awaitRestoring(cluster, "once");
            long run = restoring.path("run").asLong();
            long pid = leaseHolderPid(cluster, run);
            Process victim = pid == a.pid() ? a : b;
            assertThat(victim.pid()).isEqualTo(pid);
            victim.destroyForcibly(); // kill -9 of the node running the restore
            Instant killed = Instant.now();

            JsonNode completed = await().atMost(Duration.ofSeconds(8 + 60))
                    .pollInterval(Duration.ofSeconds(2))
                    .until(
                            () -> cluster.runs("once").get(0),
                            r -> r.path("state").asText().equals("COMPLETED"));
            assertThat(Duration.between(
                            killed, Instant.parse(completed.path("endedAt").asText())))
                    .isLessThan(Duration.ofSeconds(8 + 60));
            assertThat(completed.path("run").asLong()).isEqualTo(run);
            assertThat(completed.path("backup").asText())
                    .isEqualTo(restoring.path("backup").asText());
            assertThat(cluster.executions(run)).isEqualTo(2);
            String survivor = cluster.home.read("var/log/" + (victim == a ? "node-b" : "node-a") + ".out");
            assertThat(survivor).contains("taking over run " + run);
            assertThat(itemsOnFork(cluster, completed.path("fork").asText())).isEqualTo(1000);
        }
    }

    @Test
    void aPausedNodeLosesItsRunAndIsFencedOffWhenItWakes() throws Exception {
        try (ScheduledHome cluster = ScheduledHome.create("paused", RUNS)) {
            Process a = cluster.node("node-a");
            Process b = cluster.node("node-b");
            cluster.scheduleAhead(8, 1, 1, Map.of("once", ""), "");

            long run = awaitRestoring(cluster, "once").path("run").asLong();
            long pid = leaseHolderPid(cluster, run);
            Process sleeper = pid == a.pid() ? a : b;
            String sleeperLog = "var/log/" + (sleeper == a ? "node-a" : "node-b") + ".out";
            assertThat(new ProcessBuilder("kill", "-STOP", String.valueOf(pid))
                            .start()
                            .waitFor())
                    .isZero();
            try {
                JsonNode completed = await().atMost(Duration.ofSeconds(120))
                        .pollInterval(Duration.ofSeconds(2))
                        .until(
                                () -> cluster.runs("once").get(0),
                                r -> r.path("state").asText().equals("COMPLETED"));
                String awake = cluster.home.read("var/log/" + (sleeper == a ? "node-b" : "node-a") + ".out");
                assertThat(awake).contains("taking over run " + run);

                assertThat(itemsOnFork(cluster, completed.path("fork").asText()))
                        .isEqualTo(1000);
            } finally {
                new ProcessBuilder("kill", "-CONT", String.valueOf(pid)).start().waitFor();
            }
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> cluster.home.read(sleeperLog).contains("is fenced off"));
            Thread.sleep(3000);
            JsonNode after = cluster.runs("once").get(0);
            assertThat(after.path("state").asText())
                    .as("the woken node changed nothing")
                    .isEqualTo("COMPLETED");
            assertThat(itemsOnFork(cluster, after.path("fork").asText())).isEqualTo(1000);
        }
    }

    @Test
    void sigtermDuringAForkLeavesItStoppedAndTheNextStartCompletesIt() throws Exception {

        try (ScheduledHome cluster = ScheduledHome.create("sigterm", RUNS)) {
            Process node = cluster.node("node-a");
            cluster.scheduleAhead(8, 1, 1, Map.of("once", ""), "");

            long run = awaitRestoring(cluster, "once").path("run").asLong();
            List<ProcessHandle> children = await().atMost(Duration.ofSeconds(120))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> node.descendants().toList(), found -> !found.isEmpty());
            node.destroy(); // SIGTERM
            assertThat(node.waitFor(120, TimeUnit.SECONDS)).isTrue();
            assertThat(cluster.runs("once").get(0).path("state").asText()).isEqualTo("STOPPED");
            assertThat(cluster.home.read("var/log/node-a.out")).contains("shutting down: stopping run " + run);
            assertThat(children)
                    .as("children the node had before SIGTERM, alive after it stopped")
                    .noneMatch(ProcessHandle::isAlive);

            cluster.node("node-a-again");
            JsonNode completed = await().atMost(Duration.ofSeconds(120))
                    .pollInterval(Duration.ofSeconds(2))
                    .until(
                            () -> cluster.runs("once").get(0),
                            r -> r.path("state").asText().equals("COMPLETED"));
            assertThat(completed.path("run").asLong()).isEqualTo(run);
            assertThat(itemsOnFork(cluster, completed.path("fork").asText())).isEqualTo(1000);
        }
    }

    private static JsonNode awaitRestoring(ScheduledHome cluster, String job) {
        return await().atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofMillis(500))
                .ignoreExceptions()
                .until(
                        () -> {
                            List<JsonNode> runs = cluster.runs(job);
                            for (JsonNode step : runs.get(runs.size() - 1).path("steps")) {
                                if (step.path("name").asText().equals("restore-data")
                                        && step.path("state").asText().equals("STARTED")
                                        && step.path("progress").asText().startsWith("bytes laid down")) {
                                    return runs.get(runs.size() - 1);
                                }
                            }
                            return null;
                        },
                        run -> run != null);
    }

    private static long leaseHolderPid(ScheduledHome cluster, long run) throws Exception {
        try (Connection metadata = cluster.home.metadataConnection();
                Statement statement = metadata.createStatement();
                ResultSet row = statement.executeQuery("select node from run_leases where run_id = " + run)) {
            assertThat(row.next()).isTrue();
            String node = row.getString(1);
            return Long.parseLong(node.substring(node.lastIndexOf(':') + 1));
        }
    }

    private static int itemsOnFork(ScheduledHome cluster, String fork) throws Exception {
        int port = -1;
        for (JsonNode record :
                ScheduledHome.JSON.readTree(cluster.home.cli("forks", "--json").out())) {
            if (record.path("name").asText().equals(fork)) {
                port = record.path("port").asInt();
            }
        }
        java.util.Properties login = new java.util.Properties();
        login.setProperty("user", "postgres");
        login.setProperty("password", cluster.source.password());
        try (Connection connection = java.sql.DriverManager.getConnection(
                        "jdbc:postgresql://127.0.0.1:" + port + "/postgres", login);
                Statement statement = connection.createStatement();
                ResultSet row = statement.executeQuery("select count(*) from items")) {
            row.next();
            return row.getInt(1);
        }
    }
}
