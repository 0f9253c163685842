package io.forkrunner.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.forkrunner.testing.CliResult;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** A fire while a run of the same job is in progress: {@code overlap: skip} records it skipped, {@code queue} runs it after. */
class OverlapTest {

    @Test
    void skipRecordsTheFireWithItsReasonAndQueueRunsItAfterwards() throws Exception {
        try (ScheduledHome cluster = ScheduledHome.create("overlap", "18440-18459", "runs:\n  copy-rate: 4MB\n")) {
            StringBuilder cron = new StringBuilder();
            Instant[] fires = ScheduledHome.fireTimes(15, 6, 2, cron);
            cluster.job("skipping", "  cron: \"" + cron + "\"\n  zone: UTC\n  overlap: skip\n", "");
            cluster.job("queueing", "  cron: \"" + cron + "\"\n  zone: UTC\n  overlap: queue\n", "");
            cluster.node("node-a");

            ScheduledHome.sleepUntil(fires[0].plusSeconds(3));
            CliResult byHand = cluster.home.cli("run", "skipping");
            assertThat(byHand.exitCode())
                    .as("a launch by hand meets the same rule")
                    .isEqualTo(1);
            assertThat(byHand.err()).contains("overlap: skip");

            List<JsonNode> queued = await().atMost(Duration.ofSeconds(180))
                    .pollInterval(Duration.ofSeconds(2))
                    .until(
                            () -> cluster.runs("queueing"),
                            runs -> runs.size() == 2
                                    && runs.stream()
                                            .allMatch(run ->
                                                    run.path("state").asText().equals("COMPLETED")));
            assertThat(Instant.parse(queued.get(1).path("startedAt").asText()))
                    .as("the queued fire runs after the first run ended")
                    .isAfterOrEqualTo(
                            Instant.parse(queued.get(0).path("endedAt").asText()));

            List<JsonNode> skipping = await().atMost(Duration.ofSeconds(60))
                    .until(
                            () -> cluster.runs("skipping"),
                            runs -> runs.size() == 1
                                    && runs.get(0).path("state").asText().equals("COMPLETED"));
            assertThat(skipping.get(0).path("trigger").asText()).isEqualTo("schedule:" + fires[0]);
            JsonNode skipped = cluster.schedule("skipping").path("skippedFires");
            assertThat(skipped).hasSize(1);
            assertThat(skipped.path(0).path("fireTime").asText()).isEqualTo(fires[1].toString());
            assertThat(skipped.path(0).path("reason").asText()).contains("in progress (overlap: skip)");
        }
    }
}
