package io.forkrunner.engine.redis;

import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.Progress;
import io.forkrunner.engine.WriteFence;
import java.time.Duration;
import java.util.List;

/**
 * Makes a Redis server refuse writes by asking more good replicas than it can have: {@code min-replicas-to-write} is
 * raised by {@value #FENCE}, and every write command (a transaction or script that writes included) is refused with
 * {@code NOREPLICAS} while reads, {@code SYNC} and the snapshot of a backup go on. The source's own value is kept inside
 * the raised one and given back by {@link #allow}, so the fence needs no other record and holds across forkrunner
 * restarts. Redis runs one command at a time: once {@code CONFIG SET} has returned, no write is under way.
 */
final class RedisWriteFence implements WriteFence {

    /** Added to {@code min-replicas-to-write} while writes are refused. */
    static final int FENCE = 1_000_000;

    private static final String SETTING = "min-replicas-to-write";

    @Override
    public String refuse(Endpoint endpoint, Duration wait, Progress progress) {
        try (RedisConnection connection = RedisConnection.open(endpoint)) {
            int value = current(connection);
            if (value < FENCE) {
                connection.call("CONFIG", "SET", SETTING, String.valueOf(value + FENCE));
            }
            String offset = RedisEngine.info(connection.text("INFO", "replication"), "master_repl_offset");
            return "replication offset " + offset;
        }
    }

    @Override
    public void allow(Endpoint endpoint) {
        try (RedisConnection connection = RedisConnection.open(endpoint)) {
            int value = current(connection);
            if (value >= FENCE) {
                connection.call("CONFIG", "SET", SETTING, String.valueOf(value - FENCE));
            }
        }
    }

    private static int current(RedisConnection connection) {
        return Integer.parseInt(RedisConnection.asText(((List<?>) connection.call("CONFIG", "GET", SETTING)).get(1)));
    }
}
