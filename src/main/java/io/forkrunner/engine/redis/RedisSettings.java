package io.forkrunner.engine.redis;

import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.GeneratedLogin;
import io.forkrunner.engine.Place;
import io.forkrunner.engine.ServerSettings;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A Redis server's configuration: {@code CONFIG GET *} of the source less the built-in defaults (read from a server of
 * forkrunner's own with no configuration) and less what belongs to the host or to replication (port, addresses, paths,
 * files, TLS, cluster, {@code replicaof}). A fork keeps them in its settings file, which its configuration includes
 * before forkrunner's own directives.
 */
final class RedisSettings implements ServerSettings {

    /** Settings of the host, the files or replication, by their names in Redis 7 (aliases too): never copied. */
    private static final Set<String> HOST_SPECIFIC = Set.of(
            "port",
            "bind",
            "bind-source-addr",
            "dir",
            "dbfilename",
            "appendfilename",
            "appenddirname",
            "aclfile",
            "logfile",
            "pidfile",
            "unixsocket",
            "unixsocketperm",
            "daemonize",
            "supervised",
            "replicaof",
            "masterauth",
            "masteruser",
            "requirepass",
            "replica-announce-ip",
            "replica-announce-port",
            "enable-debug-command",
            "syslog-enabled",
            "syslog-ident",
            "syslog-facility",
            "socket-mark-id",
            "min-replicas-to-write",
            "locale-collate");

    private static final List<String> HOST_SPECIFIC_PREFIXES = List.of("tls-", "cluster-");

    private final RedisEngine engine;
    private volatile Map<String, String> defaults;

    RedisSettings(RedisEngine engine) {
        this.engine = engine;
    }

    @Override
    public Map<String, String> read(Endpoint source) {
        Map<String, String> defaults = defaults(source);
        Map<String, String> settings = new TreeMap<>();
        try (RedisConnection connection = RedisConnection.open(source)) {
            Map<String, String> all = all(connection);
            all.forEach((name, value) -> {
                boolean alias = !canonical(name).equals(name) && all.containsKey(canonical(name));
                if (!alias && copied(name) && !value.equals(defaults.get(name))) {
                    settings.put(name, value);
                }
            });
        }
        return settings;
    }

    /**
     * The name Redis 7 gives a setting it also lists under an old alias ({@code min-slaves-to-write} for
     * {@code min-replicas-to-write}, {@code hash-max-ziplist-entries} for {@code hash-max-listpack-entries}).
     */
    private static String canonical(String name) {
        return name.replace("slaveof", "replicaof").replace("slave", "replica").replace("ziplist", "listpack");
    }

    private static boolean copied(String name) {
        String canonical = canonical(name);
        return !HOST_SPECIFIC.contains(canonical)
                && HOST_SPECIFIC_PREFIXES.stream().noneMatch(canonical::startsWith);
    }

    /**
     * Keeps the settings this version of Redis knows in the fork's settings file, for every start, and sets them on the
     * running fork with {@code CONFIG SET}: no restart, which would load the data again. Only when one of them cannot
     * change while Redis runs is the fork restarted. Returns the names this version does not know.
     */
    @Override
    public List<String> apply(Place place, Endpoint admin, Map<String, String> settings) {
        Map<String, String> known = defaults(null);
        Map<String, String> kept = new LinkedHashMap<>();
        List<String> unknown = new ArrayList<>();
        settings.forEach((name, value) -> {
            if (known.containsKey(name) && copied(name)) {
                kept.put(name, value);
            } else {
                unknown.add(name);
            }
        });
        RedisServer server = engine.server(place);
        server.writeSettings(kept);
        boolean restart = !server.isRunning();
        if (!restart) {
            try (RedisConnection connection =
                    RedisConnection.open(GeneratedLogin.of(admin, "127.0.0.1", place.port(), place.directory()))) {
                for (Map.Entry<String, String> setting : kept.entrySet()) {
                    try {
                        connection.call("CONFIG", "SET", setting.getKey(), setting.getValue());
                    } catch (RedisConnection.RedisError immutable) {
                        restart = true; // e.g. io-threads, databases: read at start only
                    }
                }
            }
        }
        if (restart) {
            server.stop();
            server.start(place.port());
        }
        return unknown;
    }

    /** The built-in defaults of the Redis installed here, read once from a server of forkrunner's own. */
    @Override
    public Map<String, String> defaults(Endpoint endpoint) {
        Map<String, String> found = defaults;
        if (found == null) {
            try (ScratchServer scratch = ScratchServer.empty(engine.family(), engine.runner())) {
                found = Map.copyOf(all(scratch.connection()));
            }
            defaults = found;
        }
        return found;
    }

    @Override
    public Map<String, String> heldOnForks() {
        return Map.of(
                "replicaof",
                "no one: a fork never replicates",
                "min-replicas-to-write",
                "0: a fork has no replicas, so any other value would refuse every write (a rename's fence among"
                        + " them)",
                "enable-debug-command",
                "local: forkrunner compares the fork's keys with its backup's by DEBUG DIGEST-VALUE");
    }

    private static Map<String, String> all(RedisConnection connection) {
        List<?> pairs = (List<?>) connection.call("CONFIG", "GET", "*");
        Map<String, String> all = new TreeMap<>();
        for (int i = 0; i + 1 < pairs.size(); i += 2) {
            all.put(RedisConnection.asText(pairs.get(i)), RedisConnection.asText(pairs.get(i + 1)));
        }
        return all;
    }
}
