package io.forkrunner.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.forkrunner.testing.TestHome;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/** A node starting never touches another node's run: it starts only registered forks no live run holds. */
class NodeStartTest {

    /** Slow enough that the restore outlasts a start of the second node on a loaded machine. */
    static final String RUNS = """
            runs:
              lease: 8s
              copy-rate: 512kB
            """;

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES) // a slow restore and several starts of a node, on a loaded machine
    void aSecondNodeStartedAgainAndAgainWhileTheFirstRestoresLeavesTheRestoreAloneAndEveryStartCompletes()
            throws Exception {
        try (ScheduledHome cluster = ScheduledHome.create("node-start", RUNS)) {
            TestHome home = cluster.home;
            home.job("copy", """
                    source: shop
                    target:
                      name: copy-{run}
                    """);
            Process first = home.start("first", Map.of(), "run", "copy");
            JsonNode restoring = await().atMost(Duration.ofSeconds(120))
                    .pollInterval(Duration.ofMillis(500))
                    .ignoreExceptions()
                    .until(() -> home.runRestoring("copy", TestHome::layingDown), found -> found != null);
            String fork = restoring.path("fork").asText();
            // recorded as running while the first node restores it, as an instance is whose run restores it again
            // after it had started (an upgrade fork loading, a run restarted after its server stopped)
            try (Connection metadata = home.metadataConnection();
                    Statement statement = metadata.createStatement()) {
                assertThat(statement.executeUpdate(
                                "update instances set state = 'RUNNING' where name = '" + fork + "'"))
                        .isEqualTo(1);
            }

            int starts = 0;
            int startsWhileRestoring = 0;
            // four starts at most: each costs seconds of CPU, and more of them would only load the machine
            while (starts < 4 && (first.isAlive() || starts < 2)) {
                String name = "second-" + ++starts;
                Process second = home.start(name, Map.of(), "serve");
                await().atMost(Duration.ofSeconds(120))
                        .ignoreExceptions()
                        .until(
                                () -> home.read("var/log/" + name + ".out").contains("schedules started")
                                        || !second.isAlive(),
                                done -> done);
                String log = home.read("var/log/" + name + ".out");
                assertThat(log)
                        .as("start %d of the second node completes", starts)
                        .contains("schedules started");
                assertThat(log).doesNotContain("fork " + fork + " should run but does not");
                if (home.runRestoring("copy", TestHome::layingDown) != null) {
                    startsWhileRestoring++;
                }
                second.destroy(); // SIGTERM: it holds no run
                assertThat(second.waitFor(120, TimeUnit.SECONDS)).isTrue();
            }

            assertThat(startsWhileRestoring)
                    .as("starts of the second node that completed while the first was still laying the backup down")
                    .isPositive();
            assertThat(first.waitFor(240, TimeUnit.SECONDS)).isTrue();
            assertThat(first.exitValue()).as(home.read("var/log/first.out")).isZero();
            JsonNode completed = cluster.runs("copy").get(0);
            assertThat(completed.path("state").asText()).isEqualTo("COMPLETED");
            assertThat(cluster.executions(completed.path("run").asLong())).isEqualTo(1);
            String contents = "select count(*) || ':' || sum(id) from items";
            assertThat(onFork(cluster, fork, contents)).isEqualTo(cluster.source.sql(contents));
        }
    }

    private static String onFork(ScheduledHome cluster, String fork, String sql) throws Exception {
        int port = -1;
        for (JsonNode record :
                ScheduledHome.JSON.readTree(cluster.home.cli("forks", "--json").out())) {
            if (record.path("name").asText().equals(fork)) {
                port = record.path("port").asInt();
            }
        }
        Properties login = new Properties();
        login.setProperty("user", "postgres");
        login.setProperty("password", cluster.source.password());
        try (Connection connection =
                        DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", login);
                Statement statement = connection.createStatement();
                ResultSet row = statement.executeQuery(sql)) {
            row.next();
            return row.getString(1);
        }
    }
}
