package io.forkrunner.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.forkrunner.testing.CliResult;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * A fire while a run of the same job is in progress: {@code overlap: skip} records it skipped, {@code queue} runs it
 * after. Each run is held in its integrations until the test releases it, so the first runs are in progress for as
 * long as the test needs, however slow the machine.
 */
class OverlapTest {

    @Test
    void skipRecordsTheFireWithItsReasonAndQueueRunsItAfterwards() throws Exception {
        try (ScheduledHome cluster = ScheduledHome.create("overlap", "")) {
            Path release = cluster.home.path("var/release");
            String held = """
                    integrations:
                      - { type: command, argv: [/bin/sh, -c, "while [ ! -f '%s' ]; do sleep 0.2; done"] }
                    """.formatted(release);
            cluster.node("node-a");
            Instant[] fires = cluster.scheduleAhead(
                    15, 6, 2, Map.of("skipping", "  overlap: skip\n", "queueing", "  overlap: queue\n"), held);

            await().atMost(Duration.ofSeconds(120))
                    .pollInterval(Duration.ofSeconds(1))
                    .until(
                            () -> cluster.runs("skipping"),
                            runs -> runs.size() == 1
                                    && runs.get(0).path("state").asText().equals("STARTED"));
            CliResult byHand = cluster.home.cli("run", "skipping");
            assertThat(byHand.exitCode())
                    .as("a launch by hand meets the same rule")
                    .isEqualTo(1);
            assertThat(byHand.err()).contains("overlap: skip");

            await().atMost(Duration.ofSeconds(120))
                    .pollInterval(Duration.ofSeconds(1))
                    .until(() ->
                            cluster.schedule("skipping").path("skippedFires").size() == 1
                                    && cluster.home
                                            .read("var/log/node-a.out")
                                            .contains("a run of queueing is in progress: schedule:" + fires[1]
                                                    + " waits"));
            cluster.home.write("var/release", "");

            List<JsonNode> queued = await().atMost(Duration.ofSeconds(180))
                    .pollInterval(Duration.ofSeconds(2))
                    .until(
                            () -> cluster.runs("queueing"),
                            runs -> runs.size() == 2
                                    && runs.stream()
                                            .allMatch(run ->
                                                    run.path("state").asText().equals("COMPLETED")));
            assertThat(queued.get(1).path("trigger").asText()).isEqualTo("schedule:" + fires[1]);
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
