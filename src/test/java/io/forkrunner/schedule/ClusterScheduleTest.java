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
        try (ScheduledHome cluster = ScheduledHome.create("cluster", "")) {
            cluster.job("every10", "  cron: \"*/10 * * * * ?\"\n  zone: UTC\n", "");
            cluster.node("node-a");
            cluster.node("node-b");
            Instant since = Instant.now();
            org.awaitility.Awaitility.await()
                    .atMost(java.time.Duration.ofSeconds(180))
                    .until(() -> fires(cluster).stream()
                                    .filter(time -> time.isAfter(since))
                                    .count()
                            >= 4);
            cluster.home.cli("pause", "every10");
            org.awaitility.Awaitility.await()
                    .atMost(java.time.Duration.ofSeconds(60))
                    .until(() -> cluster.runs("every10").stream()
                            .noneMatch(run -> run.path("state").asText().startsWith("START")));

            List<Instant> logged = fires(cluster);
            assertThat(logged).as("each fire logged by one node only").doesNotHaveDuplicates();
            List<Instant> afterStart =
                    logged.stream().filter(time -> time.isAfter(since)).toList();
            assertThat(afterStart.get(0))
                    .as("the first fire after both nodes started")
                    .isBefore(since.plusSeconds(11));
            for (int i = 1; i < afterStart.size(); i++) {
                assertThat(afterStart.get(i))
                        .as("no fire skipped: " + afterStart)
                        .isEqualTo(afterStart.get(i - 1).plusSeconds(10));
            }
            Map<Instant, List<JsonNode>> byFireTime = new TreeMap<>();
            for (JsonNode run : cluster.runs("every10")) {
                Instant fired = Instant.parse(run.path("trigger").asText().substring("schedule:".length()));
                byFireTime
                        .computeIfAbsent(fired, time -> new java.util.ArrayList<>())
                        .add(run);
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
            // a fire that comes while the run of the one before is still going is skipped (overlap: skip), as
            // designed: on a loaded machine a run may take longer than the ten seconds between fires
            List<Instant> skipped = skipped(cluster);
            assertThat(skipped).as("fires both run and skipped").doesNotContainAnyElementsOf(byFireTime.keySet());
            for (Instant fire : afterStart) {
                assertThat(byFireTime.containsKey(fire) || skipped.contains(fire))
                        .as("the fire at " + fire + " has a run or was skipped while a run was in progress; runs: "
                                + byFireTime.keySet() + ", skipped: " + skipped)
                        .isTrue();
            }
            // the first fire logged had no run before it to overlap with: it ran (the first after both nodes
            // started may come while that run goes on, and be skipped)
            assertThat(byFireTime.keySet()).as("a run for the first fire").contains(logged.get(0));
        }
    }

    /** The fire times of every10 that a node skipped because a run of it was in progress. */
    private static List<Instant> skipped(ScheduledHome cluster) {
        List<Instant> skipped = new java.util.ArrayList<>();
        for (String node : List.of("node-a", "node-b")) {
            java.util.regex.Matcher fire = java.util.regex.Pattern.compile(
                            "fire of every10 at (\\S+) skipped: a run of every10 is in progress")
                    .matcher(cluster.home.read("var/log/" + node + ".out"));
            while (fire.find()) {
                skipped.add(Instant.parse(fire.group(1)));
            }
        }
        return skipped;
    }

    /** The fire times of every10 as both nodes logged them, sorted; a fire logged by both appears twice. */
    private static List<Instant> fires(ScheduledHome cluster) {
        List<Instant> fires = new java.util.ArrayList<>();
        for (String node : List.of("node-a", "node-b")) {
            java.util.regex.Matcher fired = java.util.regex.Pattern.compile("schedule of every10 fired for (\\S+)")
                    .matcher(cluster.home.read("var/log/" + node + ".out"));
            while (fired.find()) {
                fires.add(Instant.parse(fired.group(1)));
            }
        }
        fires.sort(null);
        return fires;
    }
}
