package io.forkrunner.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Under serve, a job file that cannot be read blocks only its own job: the node starts and schedules the others. */
class BadJobFileServeTest {

    @Test
    void serveStartsWithAnUnreadableJobFileAndTheOtherJobsScheduleFires() throws Exception {
        try (ScheduledHome cluster = ScheduledHome.create("bad-job-serve", "")) {
            cluster.job("pulse", "  cron: \"*/5 * * * * ?\"\n  zone: UTC\n", "");
            Files.createDirectories(cluster.home.path("jobs/broken.yml")); // a .yml that cannot be read as a file

            cluster.node("node-a");

            await().atMost(Duration.ofSeconds(60)).until(() -> log(cluster).contains("schedule of pulse fired"));
            assertThat(log(cluster))
                    .contains("not started: job broken is refused: jobs/broken.yml: (file): ")
                    .contains("cannot be read");
            assertThat(cluster.schedule("pulse").path("schedule").path("job").asText())
                    .isEqualTo("pulse");

            // an edit of the broken file while serving is refused for that job only; a new job still applies
            Files.delete(cluster.home.path("jobs/broken.yml"));
            cluster.home.write("jobs/broken.yml", "source: shop\ntarget:\n  name: broken-{run}\nschedule: sometimes\n");
            cluster.job("fresh", "  cron: \"0 0 3 * * ?\"\n  zone: Europe/Helsinki\n", "");
            await().atMost(Duration.ofSeconds(30)).until(() -> log(cluster).contains("scheduled forks fresh"));
            assertThat(log(cluster)).contains("edit refused for job broken only");
        }
    }

    private static String log(ScheduledHome cluster) {
        return cluster.home.read("var/log/node-a.out");
    }
}
