package io.forkrunner.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** Fires missed while no node ran: {@code misfire: run-once} catches up once, {@code skip} not at all. */
class MisfireTest {

    @Test
    void afterDowntimeAcrossThreeFiresRunOnceRunsOnceAndSkipRunsNone() throws Exception {
        try (ScheduledHome cluster = ScheduledHome.create("misfire", "")) {
            StringBuilder cron = new StringBuilder();
            Instant[] fires = ScheduledHome.fireTimes(12, 3, 3, cron);
            cluster.job("catchup", "  cron: \"" + cron + "\"\n  zone: UTC\n  misfire: run-once\n", "");
            cluster.job("skipper", "  cron: \"" + cron + "\"\n  zone: UTC\n  misfire: skip\n", "");
            assertThat(cluster.schedule("catchup")
                            .path("schedule")
                            .path("nextFires")
                            .path(0)
                            .asText())
                    .isEqualTo(fires[0].toString());

            ScheduledHome.sleepUntil(fires[2].plusSeconds(7)); // no node runs across the three fire times
            cluster.node("node-a");

            JsonNode caughtUp = await().atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofSeconds(2))
                    .until(
                            () -> cluster.runs("catchup"),
                            runs -> runs.size() == 1
                                    && runs.get(0).path("state").asText().equals("COMPLETED"))
                    .get(0);
            Instant fired = Instant.parse(caughtUp.path("trigger").asText().substring("schedule:".length()));
            assertThat(fired).as("the catch-up fires when the node starts").isAfter(fires[2]);
            Thread.sleep(5000);
            assertThat(cluster.runs("catchup")).hasSize(1);
            assertThat(cluster.runs("skipper")).isEmpty();
            JsonNode skipped = cluster.schedule("skipper").path("skippedFires");
            assertThat(skipped).isNotEmpty();
            assertThat(skipped.path(0).path("reason").asText()).contains("misfire: skip");
        }
    }
}
