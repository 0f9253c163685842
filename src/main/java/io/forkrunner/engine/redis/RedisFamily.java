package io.forkrunner.engine.redis;

import io.forkrunner.system.ServiceUser;

/**
 * The servers of the Redis family forkrunner runs with one adapter: Redis, and Valkey (its fork, which reads and writes
 * the same snapshots and speaks the same protocol). Each has its own programs, Debian package, OS user and version.
 */
public enum RedisFamily {
    REDIS("redis", "Redis"),
    VALKEY("valkey", "Valkey");

    private final String engine;
    private final String title;

    RedisFamily(String engine, String title) {
        this.engine = engine;
        this.title = title;
    }

    /** The engine a service declares, e.g. {@code valkey}. */
    public String engine() {
        return engine;
    }

    public String title() {
        return title;
    }

    /** One of the family's programs: {@code server}, {@code cli} or {@code check-rdb}, e.g. {@code valkey-cli}. */
    public String program(String tool) {
        return engine + "-" + tool;
    }

    /** The Debian package of its server and tools. */
    public String debianPackage() {
        return program("server");
    }

    /** The OS user its servers run as when forkrunner runs as root (the Debian package's own). */
    public ServiceUser serviceUser() {
        return ServiceUser.whenRoot(engine);
    }

    /** The field of {@code INFO server} that holds the server's own version ({@code redis_version} names Valkey's
     * compatibility level, not its release). */
    String versionField() {
        return engine + "_version";
    }
}
