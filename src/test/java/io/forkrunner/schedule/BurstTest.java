package io.forkrunner.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.forkrunner.testing.CliResult;
import io.forkrunner.testing.TestHome;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Many schedules firing at the same second on one node: every fire launches its run and every run ends as its work
 * decides. Each job forks a service that has no backup, so each run fails at pick-backup saying so, and no run may
 * end (or stay) any other way: a node whose runs held their locks on pooled connections ran out of connections when
 * more runs started at once than the pool had pairs, and those runs waited, failed on the pool's timeout or were never
 * ended.
 */
class BurstTest {

    private static final int JOBS = 12;

    @Test
    void twelveFiresAtOneSecondEachLaunchARunThatEndsAtItsOwnFailure() throws Exception {
        try (TestHome home = TestHome.create("burst")) {
            home.serviceWithoutBackup("empty");
            home.start("node-a", Map.of(), "serve");
            await().atMost(Duration.ofSeconds(60))
                    .ignoreExceptions()
                    .until(() -> home.read("var/log/node-a.out").contains("schedules started"));
            List<String> jobs =
                    IntStream.range(0, JOBS).mapToObj(i -> "burst-" + i).toList();
            ScheduledHome.scheduleAhead(home, 12, 1, 1, jobs, (job, cron) -> home.job(job, """
                    source: empty
                    target:
                      name: %s-{run}
                    schedule:
                      cron: "%s"
                      zone: UTC
                    """.formatted(job, cron)));

            List<JsonNode> runs = await().atMost(Duration.ofSeconds(180))
                    .pollInterval(Duration.ofSeconds(2))
                    .until(
                            () -> burstRuns(home),
                            found -> found.size() == JOBS
                                    && found.stream()
                                            .allMatch(run -> run.path("endedAt").isTextual()));
            for (JsonNode run : runs) {
                assertThat(run.path("state").asText()).as(run.toString()).isEqualTo("FAILED");
                assertThat(run.path("error").asText())
                        .as(run.toString())
                        .contains("service empty has no backup to fork from");
                assertThat(run.path("trigger").asText()).as(run.toString()).startsWith("schedule:");
            }
            assertThat(runs.stream().map(run -> run.path("trigger").asText()).distinct())
                    .as("all fired at the same second")
                    .hasSize(1);
            assertThat(home.read("var/log/node-a.out")).doesNotContain("Connection is not available");
        }
    }

    private static List<JsonNode> burstRuns(TestHome home) {
        CliResult status = home.cli("status", "--json");
        assertThat(status.exitCode()).as(status.toString()).isZero();
        List<JsonNode> runs = new ArrayList<>();
        for (JsonNode run : ScheduledHome.JSON.readTree(status.out())) {
            if (run.path("job").asText().startsWith("burst-")) {
                runs.add(run);
            }
        }
        return runs;
    }
}
