package io.forkrunner.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.Progress;
import io.forkrunner.system.Secret;
import io.forkrunner.testing.CliResult;
import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestHome;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * {@code rename} of a Redis service: the fence ({@code min-replicas-to-write} raised past any number of replicas) makes
 * every write fail while reads and snapshots go on, a fresh snapshot then holds the last write, and the fork of it
 * becomes the new service, which takes writes.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RedisRenameTest {

    private static final String PASSWORD = "Cache-pw-5d2e";

    static TestHome home;
    static RedisTestSource source;

    @BeforeAll
    static void source() {
        home = TestHome.create("redis-rename");
        source = RedisTestSource.start(home, "cache", PASSWORD, Map.of());
        home.declareServices(Ports.range(10), source.serviceYaml("cache", "eu-local", "{ keep: 2 }"));
    }

    @AfterAll
    static void close() {
        try {
            source.close();
        } finally {
            home.close();
        }
    }

    @Test
    @Order(1)
    void theFenceRefusesWritesNotReadsKeepsTheSourcesOwnValueAndIsLiftedToIt() {
        Endpoint endpoint = new Endpoint("127.0.0.1", source.port, "default", new Secret(PASSWORD));
        RedisWriteFence fence = new RedisWriteFence();
        try (RedisConnection redis = source.connect()) {
            redis.call("SET", "before", "1");
            redis.call("CONFIG", "SET", "min-replicas-to-write", "3");

            fence.refuse(endpoint, Duration.ofSeconds(5), Progress.NONE);
            fence.refuse(endpoint, Duration.ofSeconds(5), Progress.NONE); // a resumed rename fences again

            assertThat(setting(redis)).isEqualTo(String.valueOf(RedisWriteFence.FENCE + 3));
            assertThatThrownBy(() -> redis.call("SET", "during", "1")).hasMessageContaining("NOREPLICAS");
            redis.call("MULTI");
            assertThatThrownBy(() -> redis.call("INCR", "counter")).hasMessageContaining("NOREPLICAS");
            assertThatThrownBy(() -> redis.call("EXEC")).hasMessageContaining("EXECABORT");
            assertThat(redis.text("GET", "before")).isEqualTo("1");

            fence.allow(endpoint);
            assertThat(setting(redis)).isEqualTo("3");
            redis.call("CONFIG", "SET", "min-replicas-to-write", "0");
            redis.call("DEL", "before");
        }
    }

    @Test
    @Order(2)
    void renameFencesTheSourceAndTheNewServiceHoldsItsLastWriteAndTakesWrites() throws Exception {
        try (RedisConnection redis = source.connect()) {
            redis.call("HSET", "order:1", "note", "first");
            redis.call("SELECT", 4);
            redis.call("SET", "order:last", "written just before the rename");
        }

        CliResult rename = home.cli("rename", "cache", "cache-v2");

        assertThat(rename.exitCode()).as(rename.toString()).isZero();
        assertThat(rename.out() + rename.err())
                .contains("cache refuses writes")
                .contains("renamed cache to cache-v2 by run ");
        int port = home.forkPort("cache-v2");
        try (RedisConnection original = source.connect();
                RedisConnection renamed = RedisTestSource.connect(port, "default", PASSWORD)) {
            assertThat(RedisForkTest.keys(renamed))
                    .isEqualTo(RedisForkTest.keys(original))
                    .containsKey("4/order:last");
            assertThatThrownBy(() -> original.call("SET", "late", "1")).hasMessageContaining("NOREPLICAS");
            renamed.call("SET", "late", "1");
            assertThat(setting(renamed)).isEqualTo("0");
            assertThat(setting(original)).isEqualTo(String.valueOf(RedisWriteFence.FENCE));
        }
    }

    private static String setting(RedisConnection redis) {
        return RedisConnection.asText(((List<?>) redis.call("CONFIG", "GET", "min-replicas-to-write")).get(1));
    }
}
