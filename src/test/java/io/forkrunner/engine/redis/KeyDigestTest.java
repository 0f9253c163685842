package io.forkrunner.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkrunner.system.ProcessRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** How a fork's keys are held to its backup's digest, read from a real Redis server of forkrunner's own. */
class KeyDigestTest {

    @Test
    void aForkDiffersOnAnotherValueAnExtraKeyAnotherExpiryOrAMissingKeyThatHadNotExpiredButNotOnAnExpiredOne()
            throws Exception {
        try (ScratchServer server =
                ScratchServer.empty(RedisFamily.REDIS, new ProcessRunner(RedisFamily.REDIS.serviceUser()))) {
            RedisConnection redis = server.connection();
            redis.call("HSET", "profile", "name", "Ada");
            redis.call("SELECT", 2);
            redis.call("SET", "session", "token", "EX", "3600");
            long sessionExpiry = (Long) redis.call("PEXPIRETIME", "session");
            long soon = Instant.now().plusMillis(500).toEpochMilli();
            redis.call("SET", "flash", "message", "PXAT", String.valueOf(soon));
            KeyDigest backup = KeyDigest.of(redis);
            assertThat(backup.keys()).isEqualTo(3);
            assertThat(backup.keysPerDatabase()).containsEntry(0, 1L).containsEntry(2, 2L);
            assertThat(backup.differences(KeyDigest.of(redis), Instant.now())).isEmpty();

            Path file = Files.createTempFile("keys", ".digest");
            backup.write(file);
            assertThat(KeyDigest.read(file).differences(backup, Instant.now())).isEmpty();
            Files.delete(file);

            redis.call("SELECT", 0);
            redis.call("HSET", "profile", "name", "Bob");
            assertThat(backup.differences(KeyDigest.of(redis), Instant.now()))
                    .singleElement()
                    .asString()
                    .startsWith("database 0:");
            redis.call("HSET", "profile", "name", "Ada");
            redis.call("SET", "extra", "1", "EX", "60");
            assertThat(backup.differences(KeyDigest.of(redis), Instant.now()))
                    .singleElement()
                    .asString()
                    .contains("the backup lacks");
            redis.call("DEL", "extra");
            redis.call("SELECT", 2);
            redis.call("EXPIRE", "session", "7200");
            assertThat(backup.differences(KeyDigest.of(redis), Instant.now()))
                    .singleElement()
                    .asString()
                    .contains("another expiry time");
            redis.call("SELECT", 2);
            redis.call("PEXPIREAT", "session", sessionExpiry);

            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> (Long) redis.call("EXISTS", "flash") == 0);
            KeyDigest afterExpiry = KeyDigest.of(redis);
            assertThat(backup.differences(afterExpiry, Instant.now())).isEmpty();
            assertThat(backup.expiredBy(Instant.now())).isEqualTo(1);
            assertThat(backup.differences(afterExpiry, Instant.ofEpochMilli(soon - 100)))
                    .singleElement()
                    .asString()
                    .contains("missing on the fork");
        }
    }
}
