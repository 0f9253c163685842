package io.forkrunner.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.forkrunner.testing.CliResult;
import io.forkrunner.testing.TestHome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code run --detach} prints the run's id and log as soon as the run exists and exits; the run goes on in a process
 * of its own, to its end, writing to that log. The source has no backup, so the run fails at pick backup.
 */
class DetachedRunTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Test
    void aDetachedRunPrintsItsIdAndLogThenEndsInAProcessOfItsOwn() throws Exception {
        try (TestHome home = TestHome.create("detached-run")) {
            home.serviceWithoutBackup("shop");
            home.write("jobs/copy.yml", "source: shop\ntarget:\n  name: copy-{run}\n");

            CliResult started = home.cliInChild(Map.of(), "run", "copy", "--detach", "--json");

            assertThat(started.exitCode()).as(started.toString()).isZero();
            JsonNode printed = JSON.readTree(started.out());
            long run = printed.path("run").asLong();
            Path log = Path.of(printed.path("log").asText());
            assertThat(run).as(started.out()).isPositive();
            JsonNode ended = await().atMost(Duration.ofSeconds(120))
                    .pollInterval(Duration.ofSeconds(1))
                    .until(
                            () -> find(home, run),
                            found -> found.isPresent()
                                    && found.get().path("endedAt").isTextual())
                    .get();
            assertThat(ended.path("job").asText()).isEqualTo("copy");
            assertThat(ended.path("state").asText()).isEqualTo("FAILED");
            assertThat(ended.path("error").asText()).contains("service shop has no backup to fork from");
            assertThat(log).startsWith(home.path("var/log/runs"));
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> Files.readString(log).contains("service shop has no backup to fork from"));
        }
    }

    private static Optional<JsonNode> find(TestHome home, long run) {
        CliResult status = home.cli("status", "--json");
        assertThat(status.exitCode()).as(status.toString()).isZero();
        for (JsonNode each : JSON.readTree(status.out())) {
            if (each.path("run").asLong() == run) {
                return Optional.of(each);
            }
        }
        return Optional.empty();
    }
}
