package io.forkrunner.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Edits of the definitions while serving: an invalid one is refused and logged, the old schedule keeps firing. */
class ReloadTest {

    @Test
    void anInvalidEditLeavesTheOldScheduleFiringAndLogsFileFieldAndValue() throws Exception {
        try (ScheduledHome cluster = ScheduledHome.create("reload", "")) {
            cluster.job("pulse", "  cron: \"*/5 * * * * ?\"\n  zone: UTC\n", "");
            cluster.node("node-a");
            await().atMost(Duration.ofSeconds(60)).until(() -> fired(cluster) >= 1);

            cluster.home.write(
                    "jobs/pulse.yml", cluster.home.read("jobs/pulse.yml").replace("*/5 * * * * ?", "0 61 * * * ?"));
            await().atMost(Duration.ofSeconds(30)).until(() -> log(cluster).contains("edit refused"));
            assertThat(log(cluster)).contains("jobs/pulse.yml:5: schedule.cron: \"0 61 * * * ?\"");
            int before = fired(cluster);
            await().atMost(Duration.ofSeconds(30)).until(() -> fired(cluster) >= before + 2);

            cluster.job("fresh", "  cron: \"0 0 3 * * ?\"\n  zone: Europe/Helsinki\n", "");
            cluster.home.write(
                    "jobs/pulse.yml", cluster.home.read("jobs/pulse.yml").replace("0 61 * * * ?", "*/5 * * * * ?"));
            await().atMost(Duration.ofSeconds(30)).until(() -> log(cluster).contains("scheduled forks fresh"));
            assertThat(cluster.schedule("fresh").path("schedule").path("zone").asText())
                    .isEqualTo("Europe/Helsinki");
        }
    }

    private static String log(ScheduledHome cluster) {
        return cluster.home.read("var/log/node-a.out");
    }

    private static int fired(ScheduledHome cluster) {
        return log(cluster).split("schedule of pulse fired", -1).length - 1;
    }
}
