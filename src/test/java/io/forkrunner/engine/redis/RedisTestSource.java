package io.forkrunner.engine.redis;

import io.forkrunner.engine.Endpoint;
import io.forkrunner.system.ProcessRunner;
import io.forkrunner.system.Secret;
import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestHome;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A Redis source a test starts under its home ({@code var/sources/NAME}), never the machine's own on 6379: its default
 * user's password kept in {@code var/secrets/NAME} for services.yml. It streams snapshots without delay
 * ({@code repl-diskless-sync-delay 0}) and saves nothing to its own disk.
 */
public final class RedisTestSource implements AutoCloseable {

    final RedisFamily family;
    final RedisServer server;
    final int port;
    final String password;

    private RedisTestSource(RedisFamily family, RedisServer server, int port, String password) {
        this.family = family;
        this.server = server;
        this.port = port;
        this.password = password;
    }

    /**
     * A new source named {@code name}, started with {@code settings} on top of the test's own; its default user has
     * {@code password}, or none when it is null.
     */
    static RedisTestSource start(TestHome home, String name, String password, Map<String, String> settings) {
        return start(RedisFamily.REDIS, home, name, password, settings);
    }

    /** A new source of {@code family}'s server, as {@link #start(TestHome, String, String, Map)}. */
    public static RedisTestSource start(
            RedisFamily family, TestHome home, String name, String password, Map<String, String> settings) {
        RedisServer server =
                new RedisServer(family, new ProcessRunner(family.serviceUser()), home.path("var/sources/" + name));
        int port = Ports.one();
        server.initialize((password == null ? "on nopass" : "on #" + RedisUsers.hash(password)) + " ~* &* +@all");
        Map<String, String> all = new LinkedHashMap<>(Map.of("repl-diskless-sync-delay", "0", "save", ""));
        all.putAll(settings);
        server.writeSettings(all);
        server.start(port);
        if (password != null) {
            home.write("var/secrets/" + name, password);
        }
        return new RedisTestSource(family, server, port, password);
    }

    /** The declaration of the service {@code name} in services.yml, logging in as the default user. */
    String serviceYaml(String name, String region, String backups) {
        return """
                  %s:
                    engine: %s
                    region: %s
                    host: 127.0.0.1
                    port: %d
                    user: default
                %s    backups: %s
                """.formatted(
                        name,
                        family.engine(),
                        region,
                        port,
                        password == null ? "" : "    password: ${file:var/secrets/" + name + "}\n",
                        backups);
    }

    /** A connection to this source as its default user. */
    public RedisConnection connect() {
        return connect(port, "default", password);
    }

    static RedisConnection connect(int port, String user, String password) {
        return RedisConnection.open(new Endpoint("127.0.0.1", port, user, new Secret(password)));
    }

    @Override
    public void close() {
        server.stop();
    }
}
