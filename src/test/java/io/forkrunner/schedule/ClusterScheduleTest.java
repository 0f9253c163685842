package io.forkrunner.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** Two {@code serve} nodes on one metadata store: each fire of a schedule runs once. */
class ClusterScheduleTest {

    @Test
    void twoNodesRunEachFireTimeOfATenSecondScheduleExactlyOnce() throws Exception {
        try (ScheduledHome cluster = ScheduledHome.create("cluster", "18400-18419", "")) {
            cluster.job("every10", "  cron: \"*/10 * * * * ?\"\n  zone: UTC\n", "");
            cluster.node("node-a");
            cluster.node("node-b");
            Instant since = Instant.now();
            Thread.sleep(67_000); // six fire times and a little more
            cluster.home.cli("pause", "every10");
            org.awaitility.Awaitility.await()
                    .atMost(java.time.Duration.ofSeconds(60))
                    .until(() -> cluster.runs("every10").stream()
                            .noneMatch(run -> run.path("state").asText().startsWith("START")));

            Map<Instant, List<JsonNode>> byFireTime = new TreeMap<>();
            for (JsonNode run : cluster.runs("every10")) {
                Instant fired = Instant.parse(run.path("trigger").asText().substring("schedule:".length()));
                byFireTime
                        .computeIfAbsent(fired, time -> new java.util.ArrayList<>())
                        .add(run);
            }
            List<Instant> fired = byFireTime.keySet().stream()
                    .filter(time -> time.isAfter(since))
                    .toList();
            assertThat(fired).as("fire times after both nodes started").hasSizeGreaterThanOrEqualTo(6);
            for (int i = 1; i < fired.size(); i++) {
                assertThat(fired.get(i))
                        .as("no fire time missed")
                        .isEqualTo(fired.get(i - 1).plusSeconds(10));
            }
            for (Map.Entry<Instant, List<JsonNode>> fire : byFireTime.entrySet()) {
                assertThat(fire.getValue())
                        .as("runs of the fire at " + fire.getKey())
                        .hasSize(1);
                long run = fire.getValue().get(0).path("run").asLong();
                assertThat(fire.getValue().get(0).path("state").asText())
                        .as("run " + run)
                        .isEqualTo("COMPLETED");

                assertThat(cluster.executions(run))
                        .as("executions of run " + run)
                        .isEqualTo(1);
            }
            String nodeA = cluster.home.read("var/log/node-a.out");
            String nodeB = cluster.home.read("var/log/node-b.out");
            assertThat(nodeA + nodeB).contains("schedule of every10 fired");
        }
    }
}
