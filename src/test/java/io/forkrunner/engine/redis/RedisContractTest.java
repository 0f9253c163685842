package io.forkrunner.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.EngineContractTest;
import io.forkrunner.system.Secret;
import io.forkrunner.testing.TestHome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Redis keeps the engine contract without point in time: a fork holds the newest backup (RDB snapshot) taken by then.
 * Its records are the keys {@code item:ID} of database 0, each holding its note; database 1 holds padding that makes
 * the snapshot large enough (~16 MB, not compressible) for the kill test to catch the lay-down at copy-rate 4MB.
 */
class RedisContractTest extends EngineContractTest {

    private static final String PASSWORD = "Origin-pw-6d2e";
    private static final int PADDING_KEYS = 1600;
    private static final int PADDING_BYTES = 10_000;

    @Override
    protected Source startSource(TestHome home, String name) {
        RedisTestSource source = RedisTestSource.start(family(), home, name, PASSWORD, Map.of());
        try (RedisConnection redis = source.connect()) {
            Random random = new Random(42);
            List<Object[]> sets = new ArrayList<>();
            for (int i = 0; i < PADDING_KEYS; i++) {
                byte[] value = new byte[PADDING_BYTES];
                random.nextBytes(value);
                sets.add(new Object[] {"SET", "padding:" + i, value});
            }
            redis.call("SELECT", 1);
            redis.pipeline(sets);
        }
        return new Source() {
            @Override
            public Endpoint admin() {
                return new Endpoint("127.0.0.1", source.port, "default", new Secret(PASSWORD));
            }

            @Override
            public String serviceYaml(String service, String region, String backups) {
                return source.serviceYaml(service, region, backups);
            }

            @Override
            public void stop() {
                source.close();
            }
        };
    }

    /**
     * The source and the fork run the family's own server (its programs resolve to {@code FAMILY-check-rdb}), as the
     * family's OS user (when the tests run as root): a Valkey service is never served by Redis.
     */
    @Test
    @Order(4)
    void theSourceAndTheForkRunTheFamilysOwnServerAsItsUser() throws Exception {
        for (Endpoint server : List.of(source().admin(), fork(source().admin()))) {
            long pid;
            try (RedisConnection redis = RedisConnection.open(server)) {
                pid = Long.parseLong(RedisEngine.info(redis.text("INFO", "server"), "process_id"));
            }
            Path proc = Path.of("/proc", String.valueOf(pid));
            assertThat(Files.readSymbolicLink(proc.resolve("exe")).getFileName().toString())
                    .as("the program of the server on port %d", server.port())
                    .startsWith(family().engine() + "-");
            assertThat(Files.getOwner(proc).getName())
                    .isEqualTo(family().serviceUser().name());
        }
    }

    /** The server of the family under test. */
    protected RedisFamily family() {
        return RedisFamily.REDIS;
    }

    @Override
    protected boolean pointInTime() {
        return false;
    }

    @Override
    protected String database() {
        return null;
    }

    @Override
    protected void createRecordStore(Endpoint admin) {
        // the records are keys of database 0, which every server has
    }

    @Override
    protected void insert(Endpoint admin, int from, int to) {
        List<Object[]> sets = new ArrayList<>();
        for (int id = from; id <= to; id++) {
            sets.add(new Object[] {"SET", "item:" + id, note(id)});
        }
        try (RedisConnection redis = RedisConnection.open(admin)) {
            redis.pipeline(sets);
        }
    }

    @Override
    protected List<String> records(Endpoint server) {
        try (RedisConnection redis = RedisConnection.open(server)) {
            List<String> records = new ArrayList<>();
            List<String> keys = items(redis);
            List<Object> notes = notes(redis, keys);
            int i = 0;
            for (String key : keys) {
                records.add(key.substring("item:".length()) + "|" + RedisConnection.asText(notes.get(i++)));
            }
            return records;
        }
    }

    @Override
    protected void createReader(Endpoint admin, String password) {
        try (RedisConnection redis = RedisConnection.open(admin)) {
            redis.call("ACL", "SETUSER", "reader", "on", ">" + password, "~item:*", "+@read");
        }
    }

    /** The records whose note the reader reads (with SCAN and GET, in database 0, where it logs in). */
    @Override
    protected int readerReads(Endpoint reader) {
        try (RedisConnection redis = RedisConnection.open(reader)) {
            List<String> keys = items(redis);
            List<Object> notes = notes(redis, keys);
            int read = 0;
            int i = 0;
            for (String key : keys) {
                if (note(Integer.parseInt(key.substring("item:".length())))
                        .equals(RedisConnection.asText(notes.get(i++)))) {
                    read++;
                }
            }
            return read;
        }
    }

    /** The keys {@code item:*} of the database the connection is in; SCAN may name one twice. */
    private static List<String> items(RedisConnection redis) {
        Set<String> keys = new LinkedHashSet<>();
        String cursor = "0";
        do {
            List<?> page = (List<?>) redis.call("SCAN", cursor, "MATCH", "item:*", "COUNT", 1000);
            cursor = RedisConnection.asText(page.get(0));
            for (Object key : (List<?>) page.get(1)) {
                keys.add(RedisConnection.asText(key));
            }
        } while (!cursor.equals("0"));
        return new ArrayList<>(keys);
    }

    private static List<Object> notes(RedisConnection redis, List<String> keys) {
        List<Object[]> gets = new ArrayList<>();
        for (String key : keys) {
            gets.add(new Object[] {"GET", key});
        }
        return gets.isEmpty() ? List.of() : redis.pipeline(gets);
    }

    @Override
    protected Map.Entry<String, String> nonDefaultSetting() {
        return Map.entry("maxmemory-policy", "allkeys-lfu");
    }

    @Override
    protected void setSetting(Endpoint admin, String name, String value) {
        try (RedisConnection redis = RedisConnection.open(admin)) {
            redis.call("CONFIG", "SET", name, value);
        }
    }

    @Override
    protected String readSetting(Endpoint admin, String name) {
        try (RedisConnection redis = RedisConnection.open(admin)) {
            return RedisConnection.asText(((List<?>) redis.call("CONFIG", "GET", name)).get(1));
        }
    }

    /** Each ACL user as its name and its rules as a sorted set of tokens: another server lists them in another order. */
    @Override
    protected SortedSet<String> users(Endpoint admin) {
        SortedSet<String> users = new TreeSet<>();
        try (RedisConnection redis = RedisConnection.open(admin)) {
            for (String line : RedisUsers.aclList(redis)) {
                List<String> tokens = Arrays.asList(line.split(" "));
                SortedSet<String> rules = new TreeSet<>(tokens.subList(2, tokens.size()));
                users.add(tokens.get(1) + " " + String.join(" ", rules));
            }
        }
        return users;
    }

    /** A snapshot is one file: no "bytes laid down" shows until it is whole, so the kill comes before that. */
    @Override
    protected boolean layingDown(JsonNode step) {
        return TestHome.beforeLaidDown(step);
    }
}
