package io.forkrunner.engine.redis;

import io.forkrunner.system.ChildProcess;
import io.forkrunner.system.Command;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.ProcessRunner;
import io.forkrunner.system.ServerProcess;
import io.forkrunner.system.ServiceUser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * One Redis server in a directory of its own, which the service user owns: {@code data/} (its working directory:
 * {@code dump.rdb}, the ACL file {@code users.acl}, the append-only files), {@code run/} (pid file), {@code log/},
 * {@value #CONFIG} (written by forkrunner at every start) and {@value #SETTINGS} (the configuration copied from a source,
 * one directive a line, which the first includes). Runs as its family's OS user ({@code redis} or {@code valkey}) when
 * forkrunner runs as root, listens on 127.0.0.1 only, and never replicates.
 */
public final class RedisServer {

    static final String CONFIG = "redis.conf";
    static final String SETTINGS = "settings.conf";
    static final String RDB = "dump.rdb";
    static final String ACL = "users.acl";

    private static final Duration START_TIMEOUT = Duration.ofMinutes(30);
    private static final Duration STOP_TIMEOUT = Duration.ofMinutes(30);
    private static final Duration POLL = Duration.ofMillis(50);
    private static final String READY = "Ready to accept connections";

    private final RedisFamily family;
    private final ProcessRunner runner;
    private final Path directory;

    /** The server in {@code directory}, run by {@code runner} (which runs commands as {@code family}'s user). */
    public RedisServer(RedisFamily family, ProcessRunner runner, Path directory) {
        this.family = family;
        this.runner = runner;
        this.directory = directory.toAbsolutePath().normalize();
    }

    Path directory() {
        return directory;
    }

    Path dataDirectory() {
        return directory.resolve("data");
    }

    public Path aclFile() {
        return dataDirectory().resolve(ACL);
    }

    Path pidFile() {
        return directory.resolve("run").resolve("redis.pid");
    }

    Path log() {
        return directory.resolve("log").resolve("redis.log");
    }

    /** An empty server: no data, and its default user alone, with this password hash or none. */
    public void initialize(String defaultUserRules) {
        requireStopped("initialize");
        runner.serviceUser().privateDirectory(dataDirectory());
        runner.serviceUser().write(aclFile(), "user default " + defaultUserRules + "\n");
    }

    /** The settings copied from a source, as {@link #writeSettings} wrote them. */
    Map<String, String> settings() {
        Map<String, String> settings = new LinkedHashMap<>();
        for (String line :
                ServiceUser.readIfExists(directory.resolve(SETTINGS)).lines().toList()) {
            int space = line.indexOf(' ');
            if (space > 0) {
                settings.put(line.substring(0, space), RedisConfig.unquote(line.substring(space + 1)));
            }
        }
        return settings;
    }

    /** Keeps {@code settings} for every start: names are Redis directives, values quoted. */
    public void writeSettings(Map<String, String> settings) {
        StringBuilder text = new StringBuilder();
        settings.forEach((name, value) -> text.append(RedisConfig.directive(name, value)));
        runner.serviceUser().write(directory.resolve(SETTINGS), text.toString());
    }

    /**
     * Starts {@code redis-server} as the service user on 127.0.0.1:{@code port} and waits until it has loaded its data
     * and accepts connections. A server whose settings turn the append-only file on but that has none yet gets one made
     * from its {@code dump.rdb} first: Redis would otherwise start empty beside it.
     */
    public void start(int port) {
        requireStopped("start");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("a port in 1-65535, not " + port);
        }
        ServiceUser user = runner.serviceUser();
        user.privateDirectory(directory);
        user.privateDirectory(dataDirectory());
        user.privateDirectory(pidFile().getParent());
        user.privateDirectory(log().getParent());
        if (!Files.exists(aclFile(), LinkOption.NOFOLLOW_LINKS)) {
            throw new ForkrunnerException("the " + family.title() + " instance in " + directory
                    + " has no ACL file yet: initialize it" + " or lay a backup down into it before starting it");
        }
        if ("yes".equals(settings().get("appendonly"))) {
            RedisConfig.seedAppendOnlyFile(user, dataDirectory());
        }
        StringBuilder config = new StringBuilder("# written by forkrunner at every start\n");
        if (Files.exists(directory.resolve(SETTINGS), LinkOption.NOFOLLOW_LINKS)) {
            config.append("include ")
                    .append(RedisConfig.quote(directory.resolve(SETTINGS).toString()))
                    .append('\n');
        }
        Map<String, String> own = new LinkedHashMap<>();
        own.put("port", String.valueOf(port));
        own.put("bind", "127.0.0.1");
        own.put("dir", dataDirectory().toString());
        own.put("dbfilename", RDB);
        own.put("aclfile", aclFile().toString());
        own.put("pidfile", pidFile().toString());
        own.put("logfile", log().toString());
        own.put("daemonize", "no");
        own.put("enable-debug-command", "local");
        own.forEach((name, value) -> config.append(RedisConfig.directive(name, value)));
        user.write(directory.resolve(CONFIG), config.toString());
        long logOffset = size(log());
        ChildProcess server = runner.start(
                Command.of(family.program("server"), directory.resolve(CONFIG).toString())
                        .asServiceUser()
                        .loggingTo(log().resolveSibling("redis.out")));
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (!ServiceUser.readIfExists(log())
                .substring((int) Math.min(logOffset, size(log())))
                .contains(READY)) {
            if (!server.isAlive()) {
                throw new ForkrunnerException(what() + " stopped before it was ready." + "\nLog " + log() + ":\n  "
                        + String.join("\n  ", lastLines(15)));
            }
            if (System.nanoTime() > deadline) {
                server.end();
                throw new ForkrunnerException(
                        what() + " was not ready within " + START_TIMEOUT + "; it was ended. See its log " + log());
            }
            pause();
        }
    }

    /** Stops the server by its own pid: SIGTERM, then waits until it is gone. Nothing to do when it does not run. */
    public void stop() {
        OptionalLong pid = pid();
        if (pid.isEmpty()) {
            return;
        }
        ServerProcess.stop(pid.getAsLong(), STOP_TIMEOUT, what(), log());
    }

    public boolean isRunning() {
        return pid().isPresent();
    }

    /**
     * The pid of this instance's running server: the pid file's, when that process lives, is a redis-server, and works
     * in this instance's data directory (Redis changes its process title, so its argv cannot tell).
     */
    OptionalLong pid() {
        return ServerProcess.running(pidFile(), pid -> {
            try {
                Path proc = Path.of("/proc", String.valueOf(pid));
                boolean redis = Files.readSymbolicLink(proc.resolve("exe"))
                        .getFileName()
                        .toString()
                        .startsWith(family.engine() + "-");
                return redis && Files.readSymbolicLink(proc.resolve("cwd")).equals(dataDirectory());
            } catch (IOException e) {
                return false;
            }
        });
    }

    private void requireStopped(String what) {
        if (isRunning()) {
            throw new ForkrunnerException(
                    "cannot " + what + " " + what() + ": it runs (pid " + pid().getAsLong() + "); stop it first");
        }
    }

    private String what() {
        return "the " + family.title() + " server in " + directory;
    }

    private List<String> lastLines(int count) {
        List<String> lines = ServiceUser.readIfExists(log()).lines().toList();
        if (lines.isEmpty()) {
            lines = ServiceUser.readIfExists(log().resolveSibling("redis.out"))
                    .lines()
                    .toList();
        }
        return lines.subList(Math.max(0, lines.size() - count), lines.size());
    }

    private static long size(Path file) {
        try {
            return Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) ? Files.size(file) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    static void pause() {
        ServerProcess.pause(POLL, "a server of the Redis family");
    }
}
