package io.forkrunner.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.forkrunner.testing.CliResult;
import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestHome;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Redis forks from real servers: a source of the test's own with keys of every type in databases 0, 3 and 15, keys with
 * expiry times, one that expired before the backup, an ACL user held to a key pattern and command categories, and two
 * non-default settings; two backups, then writes after them. Each fork is compared key by key (name, value digest,
 * absolute expiry) with the source as it was when its backup was taken.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RedisForkTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String SERVICE = "cache";
    private static final String APP_PASSWORD = "App-pw-3e9a";
    /** Values laid down slowly enough (copy-rate 4MB) for the kill test to catch the lay-down. */
    private static final int BULK_KEYS = 1600;

    private TestHome home;
    private RedisTestSource source;
    private Map<String, String> atFirstBackup;
    private Map<String, String> atSecondBackup;
    private JsonNode firstBackup;
    private JsonNode secondBackup;

    @BeforeAll
    void startSourceAndTakeTwoBackups() throws Exception {
        home = TestHome.create("redis-fork");
        source = RedisTestSource.start(
                home,
                SERVICE,
                "Source-pw-81f2",
                Map.of(
                        "maxmemory-policy",
                        "allkeys-lru",
                        "notify-keyspace-events",
                        "Ex",
                        // the fork must then make its append-only file from the snapshot, or start empty
                        "appendonly",
                        "yes"));
        try (RedisConnection redis = source.connect()) {
            redis.call("ACL", "SETUSER", "app", "on", ">" + APP_PASSWORD, "~app:*", "+@read", "+@string");
            redis.call("SET", "app:greeting", "hello ✓");
            redis.call("RPUSH", "app:queue", "a", "b", "c");
            redis.call("HSET", "profile", "name", "Ada", "lang", "en");
            // random bytes: the snapshot compresses its strings, and repeated ones would lay down in no time
            Random random = new Random(7);
            List<Object[]> sets = new ArrayList<>();
            for (int i = 0; i < BULK_KEYS; i++) {
                byte[] value = new byte[10_000];
                random.nextBytes(value);
                sets.add(new Object[] {"SET", "bulk:" + i, value});
            }
            redis.call("SELECT", 1);
            redis.pipeline(sets);
            redis.call("SELECT", 3);
            redis.call("SADD", "tags", "red", "green");
            redis.call("ZADD", "scores", "1.5", "ada", "2", "bob");
            redis.call("SET", "session:1", "token", "EX", "3600");
            redis.call("HSET", "session:2", "user", "ada");
            redis.call("EXPIRE", "session:2", "7200");
            redis.call("SELECT", 15);
            redis.call("XADD", "events", "*", "kind", "order", "id", "1");
            redis.call("XADD", "events", "*", "kind", "order", "id", "2");
            redis.call("XGROUP", "CREATE", "events", "billing", "0");
            redis.call("XREADGROUP", "GROUP", "billing", "worker", "COUNT", "1", "STREAMS", "events", ">");
            // expires before the backup; left where it is, unread, so that only its expiry time tells it is gone
            redis.call("DEBUG", "SET-ACTIVE-EXPIRE", "0");
            redis.call("SET", "gone", "soon", "PX", "200");
        }
        Instant goneBy = Instant.now().plusMillis(200);
        Awaitility.await()
                .atMost(Duration.ofSeconds(5))
                .until(() -> Instant.now().isAfter(goneBy.plusMillis(100)));
        home.addSettings("""
                runs:
                  lease: 6s
                  copy-rate: 4MB
                """);
        home.declareServices(Ports.range(10), source.serviceYaml(SERVICE, "eu-local", "{ keep: 3 }"));
        home.job("cache", """
                source: %s
                target:
                  name: cache-{run}
                """.formatted(SERVICE));

        home.backUp(SERVICE);
        try (RedisConnection redis = source.connect()) {
            atFirstBackup = keys(redis);
            redis.call("DEBUG", "SET-ACTIVE-EXPIRE", "1");
            redis.call("SET", "app:after-first", "1");
        }
        home.backUp(SERVICE);
        try (RedisConnection redis = source.connect()) {
            atSecondBackup = keys(redis);
            redis.call("SET", "app:late", "written after the last backup");
        }
        JsonNode backups =
                JSON.readTree(home.cli("backups", SERVICE, "--json").out()).path("backups");
        assertThat(backups).hasSize(2);
        assertThat(backups)
                .allSatisfy(backup -> assertThat(backup.path("state").asText()).isEqualTo("VERIFIED"));
        firstBackup = backups.get(0);
        secondBackup = backups.get(1);
        assertThat(home.cli("backups", SERVICE).out())
                .contains("no change archive: a fork holds the moment of one backup, the newest taken by --at: ")
                .doesNotContain("point-in-time window");
    }

    @AfterAll
    void close() {
        try {
            if (source != null) {
                source.close();
            }
        } finally {
            home.close();
        }
    }

    @Test
    @Order(1)
    void aForkFromTheLatestBackupHoldsExactlyItsKeysValuesAndExpiriesItsUsersAndItsSettings() throws Exception {
        CliResult run = home.cli("run", "cache", "--json");
        assertThat(run.exitCode()).as(run.toString()).isZero();
        JsonNode finished = JSON.readTree(run.out());
        int forkPort = home.forkPort(finished.path("fork").asText());

        try (RedisConnection fork = RedisTestSource.connect(forkPort, "default", source.password)) {
            Map<String, String> forkKeys = keys(fork);
            assertThat(forkKeys).isEqualTo(atSecondBackup);
            assertThat(forkKeys).containsKeys("0/app:greeting", "3/session:1", "15/events", "0/app:after-first");
            assertThat(forkKeys).doesNotContainKeys("0/app:late", "15/gone");
            assertThat(forkKeys.get("3/session:1")).doesNotEndWith("@-1"); // its absolute expiry, as the source's
            assertThat(forkKeys.keySet().stream()
                            .map(key -> key.substring(0, key.indexOf('/')))
                            .distinct())
                    .containsExactlyInAnyOrder("0", "1", "3", "15");
            assertThat(config(fork, "maxmemory-policy")).isEqualTo("allkeys-lru");
            assertThat(config(fork, "appendonly")).isEqualTo("yes");
            assertThat(config(fork, "notify-keyspace-events"))
                    .isEqualTo(config(source.connect(), "notify-keyspace-events"));
            assertThat(fork.call("ROLE")).asString().doesNotContain("slave");
            assertThat(sortedAcl(fork)).isEqualTo(sortedAcl(source.connect()));
        }
        try (RedisConnection app = RedisTestSource.connect(forkPort, "app", APP_PASSWORD)) {
            assertThat(app.text("GET", "app:greeting")).isEqualTo("hello ✓");
            assertThatThrownBy(() -> app.call("GET", "profile")).hasMessageContaining("NOPERM");
            assertThatThrownBy(() -> app.call("LPUSH", "app:queue", "d")).hasMessageContaining("NOPERM");
        }
        JsonNode status = JSON.readTree(
                home.cli("status", finished.path("run").asText(), "--json").out());
        assertThat(TestHome.step(status, "pick-backup")
                        .path("report")
                        .path("holds")
                        .asText())
                .contains(secondBackup.path("id").asText());
        assertThat(TestHome.step(status, "restore-data")
                        .path("report")
                        .path("compared-with-backup")
                        .asText())
                .startsWith("equal: " + atSecondBackup.size() + " keys");
        assertThat(TestHome.step(status, "copy-configuration")
                        .path("report")
                        .path("held-replicaof")
                        .asText())
                .contains("never replicates");
    }

    @Test
    @Order(2)
    void aForkAtATimeBetweenTwoBackupsHoldsTheEarlierAndSaysSo() throws Exception {
        Instant between = Instant.parse(firstBackup.path("endedAt").asText()).plusMillis(1);
        assertThat(between)
                .isBefore(Instant.parse(secondBackup.path("startedAt").asText()));
        CliResult run = home.cli("run", "cache", "--at", between.toString(), "--json");
        assertThat(run.exitCode()).as(run.toString()).isZero();
        JsonNode finished = JSON.readTree(run.out());
        try (RedisConnection fork =
                RedisTestSource.connect(home.forkPort(finished.path("fork").asText()), "default", source.password)) {
            assertThat(keys(fork)).isEqualTo(atFirstBackup).doesNotContainKey("0/app:after-first");
        }
        JsonNode status = JSON.readTree(
                home.cli("status", finished.path("run").asText(), "--json").out());
        assertThat(TestHome.step(status, "pick-backup")
                        .path("report")
                        .path("holds")
                        .asText())
                .contains(
                        firstBackup.path("id").asText(),
                        firstBackup.path("endedAt").asText(),
                        between.toString());
    }

    @Test
    @Order(3)
    void aForkAtATimeBeforeTheOldestBackupIsRefusedNamingIt() {
        Instant before = Instant.parse(firstBackup.path("startedAt").asText()).minusSeconds(60);
        CliResult run = home.cli("run", "cache", "--at", before.toString());
        assertThat(run.exitCode()).as(run.toString()).isEqualTo(1);
        assertThat(run.out() + run.err())
                .contains("the oldest, " + firstBackup.path("id").asText());
    }

    @Test
    @Order(4)
    void aRunKilledWhileLayingTheBackupDownResumesWithTheSameBackupAndAnEqualFork() throws Exception {
        JsonNode running = home.killWhileRestoring("cache", TestHome::beforeLaidDown);
        long run = running.path("run").asLong();

        CliResult restarted = home.restartOnceReleased(run);
        assertThat(restarted.exitCode()).as(restarted.toString()).isZero();
        JsonNode finished = JSON.readTree(restarted.out());
        assertThat(finished.path("state").asText()).isEqualTo("COMPLETED");
        assertThat(home.executionsPerStep(run)).contains("pick-backup|1", "restore-data|2", "verify|1");
        try (RedisConnection fork =
                RedisTestSource.connect(home.forkPort(finished.path("fork").asText()), "default", source.password)) {
            assertThat(keys(fork)).isEqualTo(atSecondBackup);
        }
        JsonNode status =
                JSON.readTree(home.cli("status", String.valueOf(run), "--json").out());
        assertThat(TestHome.step(status, "pick-backup")
                        .path("report")
                        .path("holds")
                        .asText())
                .contains(secondBackup.path("id").asText());
    }

    @Test
    @Order(5)
    void aBackupWhoseSnapshotChangedOnDiskIsRefusedAsDamagedAndTheNextRunForksTheOlderOne() throws Exception {
        Path rdb = Path.of(secondBackup.path("directory").asText()).resolve("dump.rdb");
        try (RandomAccessFile file = new RandomAccessFile(rdb.toFile(), "rw")) {
            long middle = file.length() / 2;
            file.seek(middle);
            int b = file.read();
            file.seek(middle);
            file.write(b ^ 0x01);
        }

        CliResult refused = home.cli("run", "cache");
        assertThat(refused.exitCode()).as(refused.toString()).isEqualTo(1);
        assertThat(refused.out() + refused.err())
                .contains(secondBackup.path("id").asText() + " of " + SERVICE, "is damaged", "dump.rdb has changed");

        CliResult run = home.cli("run", "cache", "--json");
        assertThat(run.exitCode()).as(run.toString()).isZero();
        JsonNode finished = JSON.readTree(run.out());
        try (RedisConnection fork =
                RedisTestSource.connect(home.forkPort(finished.path("fork").asText()), "default", source.password)) {
            assertThat(keys(fork)).isEqualTo(atFirstBackup);
        }
    }

    @Test
    @Order(6)
    void aRedisIntegrationRunsItsCommandsOnTheForkUntilTheFirstErrorAndASqlOneIsRefused() throws Exception {
        home.write(
                "jobs/redis/mask.redis", "# sessions go\nSET app:greeting \"masked ✓\"\n\nSELECT 3\nDEL session:1\n");
        home.job("masked", """
                source: %s
                target:
                  name: masked-{run}
                integrations:
                  - { type: sql, file: jobs/redis/mask.redis }
                """.formatted(SERVICE));
        CliResult refused = home.cli("validate");
        assertThat(refused.exitCode()).as(refused.toString()).isEqualTo(2);
        assertThat(refused.err())
                .contains("jobs/masked.yml:5: integrations[0].type: \"sql\": is not for a redis service: its commands"
                        + " run with type: redis");

        home.job("masked", """
                source: %s
                target:
                  name: masked-{run}
                users: none
                integrations:
                  - { type: redis, file: jobs/redis/mask.redis }
                checks:
                  - EXISTS app:greeting
                """.formatted(SERVICE));
        CliResult run = home.cli("run", "masked", "--json");
        assertThat(run.exitCode()).as(run.toString()).isZero();
        try (RedisConnection fork = RedisTestSource.connect(
                home.forkPort(JSON.readTree(run.out()).path("fork").asText()), "default", source.password)) {
            assertThat(fork.text("GET", "app:greeting")).isEqualTo("masked ✓");
            fork.call("SELECT", 3);
            assertThat(fork.call("EXISTS", "session:1")).isEqualTo(0L);
            assertThat(fork.call("EXISTS", "session:2")).isEqualTo(1L);
        }
        try (RedisConnection redis = source.connect()) {
            assertThat(redis.text("GET", "app:greeting")).isEqualTo("hello ✓");
        }
        int forkPort = home.forkPort(JSON.readTree(run.out()).path("fork").asText());
        try (RedisConnection fork = RedisTestSource.connect(forkPort, "default", source.password)) {
            assertThat(sortedAcl(fork)).containsOnlyKeys("default");
        }
        assertThatThrownBy(() -> RedisTestSource.connect(forkPort, "app", APP_PASSWORD))
                .hasMessageContaining("WRONGPASS");

        home.write("jobs/redis/broken.redis", "SET app:first 1\nHSET app:greeting field value\nSET app:third 3\n");
        home.job("broken", """
                source: %s
                target:
                  name: broken-{run}
                integrations:
                  - { type: redis, file: jobs/redis/broken.redis }
                """.formatted(SERVICE));
        CliResult broken = home.cli("run", "broken", "--json");
        assertThat(broken.exitCode()).as(broken.toString()).isEqualTo(1);
        JsonNode failed = JSON.readTree(broken.out());
        assertThat(failed.path("error").asText())
                .contains("broken.redis:2: HSET failed on")
                .contains("WRONGTYPE");
        int brokenPort =
                TestHome.step(failed, "provision").path("report").path("port").asInt();
        try (RedisConnection fork = RedisTestSource.connect(brokenPort, "default", source.password)) {
            assertThat(fork.text("GET", "app:first")).isEqualTo("1");
            assertThat(fork.call("EXISTS", "app:third"))
                    .as("nothing after the first error")
                    .isEqualTo(0L);
        }
        assertThat(home.read("var/log/runs/" + failed.path("run").asText() + "-integration-1.log"))
                .isEqualTo("1: OK\n2: (error) WRONGTYPE Operation against a key holding the wrong kind of value\n");
    }

    /**
     * Every key of every database, {@code DB/NAME} to its value's digest and its absolute expiry in milliseconds (-1:
     * none), read with SCAN, which leaves out keys whose expiry has passed.
     */
    static Map<String, String> keys(RedisConnection redis) {
        Map<String, String> keys = new TreeMap<>();
        for (int database : RedisInspection.databaseNumbers(redis)) {
            redis.call("SELECT", database);
            String cursor = "0";
            do {
                List<?> page = (List<?>) redis.call("SCAN", cursor, "COUNT", 500);
                cursor = RedisConnection.asText(page.get(0));
                for (Object name : (List<?>) page.get(1)) {
                    String digest =
                            RedisConnection.asText(((List<?>) redis.call("DEBUG", "DIGEST-VALUE", name)).get(0));
                    Object expiry = redis.call("PEXPIRETIME", name);
                    keys.put(database + "/" + RedisConnection.asText(name), digest + "@" + expiry);
                }
            } while (!cursor.equals("0"));
        }
        redis.call("SELECT", 0);
        return keys;
    }

    private static String config(RedisConnection redis, String name) {
        return RedisConnection.asText(((List<?>) redis.call("CONFIG", "GET", name)).get(1));
    }

    /** Each user's rules as a sorted set of tokens: another server lists them in another order. */
    private static Map<String, List<String>> sortedAcl(RedisConnection redis) {
        Map<String, List<String>> users = new TreeMap<>();
        for (String line : RedisUsers.aclList(redis)) {
            List<String> tokens = new ArrayList<>(List.of(line.split(" ")));
            String name = tokens.get(1);
            tokens.sort(null);
            users.put(name, tokens);
        }
        return users;
    }
}
