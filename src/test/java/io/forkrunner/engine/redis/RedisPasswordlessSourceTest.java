package io.forkrunner.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.GeneratedLogin;
import io.forkrunner.system.PasswordFile;
import io.forkrunner.testing.CliResult;
import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestHome;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/** A fork of a Redis source whose default user has no password lets no one in without the fork's generated one. */
class RedisPasswordlessSourceTest {

    @Test
    void theForksCopyOfThePasswordlessLoginAsksTheForksGeneratedPassword() throws Exception {
        try (TestHome home = TestHome.create("redis-nopass");
                RedisTestSource source = RedisTestSource.start(home, "cache", null, Map.of())) {
            home.declareServices(Ports.range(10), source.serviceYaml("cache", "eu-local", "{ keep: 1 }"));
            home.job("cache", "source: cache\ntarget:\n  name: cache-{run}\n");
            try (RedisConnection redis =
                    RedisConnection.open(new Endpoint("127.0.0.1", source.port, "default", null))) {
                redis.call("SET", "greeting", "hello");
            }
            home.backUp("cache");

            CliResult run = home.cli("run", "cache", "--json");

            assertThat(run.exitCode()).as(run.toString()).isZero();
            String fork = JsonMapper.builder()
                    .build()
                    .readTree(run.out())
                    .path("fork")
                    .asText();
            int port = home.forkPort(fork);
            try (RedisConnection anyone = RedisConnection.open(new Endpoint("127.0.0.1", port, "default", null))) {
                assertThatThrownBy(() -> anyone.call("GET", "greeting")).hasMessageContaining("NOAUTH");
            }
            String generated = PasswordFile.read(
                            home.path("var/regions/eu").resolve(fork).resolve(GeneratedLogin.FILE), "the password")
                    .reveal();
            try (RedisConnection forkrunner = RedisTestSource.connect(port, "default", generated)) {
                assertThat(forkrunner.text("GET", "greeting")).isEqualTo("hello");
            }
        }
    }
}
