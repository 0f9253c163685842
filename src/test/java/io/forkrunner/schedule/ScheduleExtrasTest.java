package io.forkrunner.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.forkrunner.testing.CliResult;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** Base backups by {@code backups.every}, pause and resume, and forks dropped by {@code retention.ttl} on a schedule. */
class ScheduleExtrasTest {

    @Test
    void backupsComeEveryPeriodPausedJobsDoNotFireAndForksExpireByAge() throws Exception {
        try (ScheduledHome cluster = ScheduledHome.create("extras", "")) {
            cluster.home.write(
                    "config/services.yml",
                    cluster.home
                            .read("config/services.yml")
                            .replace("{ keep: 2, wal: stream }", "{ every: 10s, keep: 3, wal: stream }"));
            cluster.job("pulse", "  cron: \"*/5 * * * * ?\"\n  zone: UTC\n", "");
            Instant started = Instant.now();
            cluster.node("node-a");

            // backups.every: 10s
            await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofSeconds(2))
                    .until(() -> {
                        JsonNode backups = ScheduledHome.JSON
                                .readTree(cluster.home
                                        .cli("backups", "shop", "--json")
                                        .out())
                                .path("backups");
                        return backups.size() >= 2
                                && Instant.parse(backups.path(backups.size() - 1)
                                                .path("startedAt")
                                                .asText())
                                        .isAfter(started);
                    });

            // pause and resume
            CliResult paused = cluster.home.cli("pause", "pulse");
            assertThat(paused.exitCode()).as(paused.toString()).isZero();
            assertThat(cluster.schedule("pulse").path("schedule").path("state").asText())
                    .isEqualTo("PAUSED");
            int before = fired(cluster);
            Thread.sleep(11_000);
            assertThat(fired(cluster)).as("no fire while paused").isEqualTo(before);
            assertThat(cluster.home.cli("resume", "pulse").exitCode()).isZero();
            assertThat(cluster.schedule("pulse").path("schedule").path("state").asText())
                    .isEqualTo("NORMAL");
            await().atMost(Duration.ofSeconds(20)).until(() -> fired(cluster) > before);
            assertThat(cluster.home.cli("pause", "nosuch").exitCode()).isEqualTo(2);

            // retention.ttl: 20s, checked by the sweep: a job firing once, soon after the node has it
            cluster.scheduleAhead(8, 1, 1, Map.of("brief", ""), "  ttl: 20s\n");
            JsonNode run = await().atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofSeconds(2))
                    .until(
                            () -> cluster.runs("brief"),
                            runs -> !runs.isEmpty()
                                    && runs.get(0).path("state").asText().equals("COMPLETED"))
                    .get(0);
            String fork = run.path("fork").asText();
            Instant registered = Instant.parse(run.path("endedAt").asText());
            await().atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofSeconds(2))
                    .until(() -> !forks(cluster).contains(fork));
            assertThat(Instant.now()).as("dropped once its ttl was over").isAfter(registered.plusSeconds(20));
            assertThat(cluster.home.read("var/log/node-a.out")).contains("dropped fork " + fork);
            assertThat(cluster.home.path("var/regions/eu/" + fork)).doesNotExist();
        }
    }

    private static int fired(ScheduledHome cluster) {
        return cluster.home.read("var/log/node-a.out").split("schedule of pulse fired", -1).length - 1;
    }

    private static String forks(ScheduledHome cluster) {
        return cluster.home.cli("forks", "--json").out();
    }
}
