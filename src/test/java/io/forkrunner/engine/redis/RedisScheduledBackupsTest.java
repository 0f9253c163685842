package io.forkrunner.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestHome;
import java.time.Duration;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** {@code backups.every} under {@code serve} for a Redis service: snapshots taken on schedule, pruned to keep. */
class RedisScheduledBackupsTest {

    @Test
    void serveTakesASnapshotEveryIntervalAndKeepsTheNewestTwo() throws Exception {
        try (TestHome home = TestHome.create("redis-every");
                RedisTestSource source = RedisTestSource.start(home, "cache", "Every-pw-0b7d", Map.of())) {
            home.declareServices(Ports.range(10), source.serviceYaml("cache", "eu-local", "{ keep: 2, every: 2s }"));
            try (RedisConnection redis = source.connect()) {
                redis.call("SET", "counter", "0");
            }
            home.start("serve", Map.of(), "serve");

            JsonMapper json = JsonMapper.builder().build();
            Awaitility.await()
                    .atMost(Duration.ofSeconds(120))
                    .pollInterval(Duration.ofMillis(500))
                    .until(() ->
                            json.readTree(home.cli("backups", "cache", "--json").out())
                                                    .path("backups")
                                                    .size()
                                            == 2
                                    && prunedOne(home));
            JsonNode backups =
                    json.readTree(home.cli("backups", "cache", "--json").out()).path("backups");
            assertThat(backups).hasSize(2);
            assertThat(backups)
                    .allSatisfy(
                            backup -> assertThat(backup.path("state").asText()).isEqualTo("VERIFIED"));
            assertThat(home.path("var/backups/cache/base").toFile().list()).hasSize(2);
        }
    }

    /** Whether serve has taken a third snapshot, so that keep: 2 pruned the oldest. */
    private static boolean prunedOne(TestHome home) {
        return home.read("var/log/serve.out")
                        .lines()
                        .filter(line -> line.contains(" of cache verified"))
                        .count()
                >= 3;
    }
}
