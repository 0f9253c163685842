package io.forkrunner.engine.redis;

import io.forkrunner.system.Home;
import java.time.Clock;
import org.springframework.stereotype.Component;

/**
 * Valkey (Caching): the Redis adapter with Valkey's programs ({@code valkey-server}, {@code valkey-cli},
 * {@code valkey-check-rdb}), OS user and version ({@code valkey_version}, 800 for 8.0).
 */
@Component
public class ValkeyEngine extends RedisEngine {

    ValkeyEngine(Home home, Clock clock) {
        super(RedisFamily.VALKEY, home, clock);
    }
}
