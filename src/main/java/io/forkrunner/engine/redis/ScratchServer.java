package io.forkrunner.engine.redis;

import io.forkrunner.system.ChildProcess;
import io.forkrunner.system.Command;
import io.forkrunner.system.DirectoryTree;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.ProcessRunner;
import io.forkrunner.system.ServiceUser;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * A Redis server of forkrunner's alone, for as long as it reads something: no TCP port, a Unix socket in a private
 * directory of the service user's, nothing saved. Started on a backup's directory, it loads the backup's snapshot
 * without writing there: what forkrunner reads a backup with, and the built-in defaults of the Redis installed here.
 */
final class ScratchServer implements AutoCloseable {

    private static final Duration START_TIMEOUT = Duration.ofMinutes(30);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path sockets;
    private final ChildProcess process;
    private final RedisConnection connection;

    private ScratchServer(Path sockets, ChildProcess process, RedisConnection connection) {
        this.sockets = sockets;
        this.process = process;
        this.connection = connection;
    }

    /** A server without data. */
    static ScratchServer empty(RedisFamily family, ProcessRunner runner) {
        return start(family, runner, null);
    }

    /** A server that loads {@code dump.rdb} of {@code backup} (a directory the service user reads). */
    static ScratchServer loading(RedisFamily family, ProcessRunner runner, Path backup) {
        return start(family, runner, backup);
    }

    private static ScratchServer start(RedisFamily family, ProcessRunner runner, Path backup) {
        byte[] random = new byte[8];
        RANDOM.nextBytes(random);
        // short, so that the socket's path fits a Unix socket address
        Path sockets = Path.of(
                System.getProperty("java.io.tmpdir"),
                "forkrunner-redis-" + HexFormat.of().formatHex(random));
        runner.serviceUser().privateDirectory(sockets);
        Path socket = sockets.resolve("redis.sock");
        List<String> argv = new ArrayList<>(List.of(
                family.program("server"),
                "--port",
                "0",
                "--unixsocket",
                socket.toString(),
                "--unixsocketperm",
                "700",
                "--daemonize",
                "no",
                "--logfile",
                "",
                "--enable-debug-command",
                "local"));
        if (backup == null) {
            argv.addAll(List.of("--dir", sockets.toString())); // otherwise as built in: its defaults are read
        } else {
            argv.addAll(List.of(
                    "--dir", backup.toString(), "--dbfilename", RedisServer.RDB, "--save", "", "--appendonly", "no"));
        }
        ChildProcess process = runner.start(Command.of(argv).asServiceUser().loggingTo(sockets.resolve("redis.log")));
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (true) {
            try {
                RedisConnection connection = RedisConnection.open(socket);
                try {
                    connection.call("PING");
                    return new ScratchServer(sockets, process, connection);
                } catch (RedisConnection.RedisError e) {
                    connection.close(); // LOADING: not yet
                }
            } catch (ForkrunnerException notYet) {
                if (!process.isAlive()) {
                    String log = ServiceUser.readIfExists(sockets.resolve("redis.log"));
                    DirectoryTree.delete(sockets);
                    throw new ForkrunnerException("a " + family.title() + " server reading "
                            + (backup == null ? "nothing" : backup) + " stopped before it answered:\n" + log.strip());
                }
            }
            if (System.nanoTime() > deadline) {
                process.end();
                DirectoryTree.delete(sockets);
                throw new ForkrunnerException("a " + family.title() + " server reading " + backup
                        + " did not answer within " + START_TIMEOUT);
            }
            RedisServer.pause();
        }
    }

    RedisConnection connection() {
        return connection;
    }

    /**
     * Shuts the server down without saving, through its own connection, and waits until it is gone: signalled instead,
     * the {@code runuser} in front of it would wait two seconds before it ended too.
     */
    @Override
    public void close() {
        try {
            connection.call("SHUTDOWN", "NOSAVE");
        } catch (ForkrunnerException closed) {
            // the server closes the connection as it goes
        } finally {
            connection.close();
        }
        long deadline = System.nanoTime() + STOP_TIMEOUT.toNanos();
        while (process.isAlive() && System.nanoTime() < deadline) {
            RedisServer.pause();
        }
        if (process.isAlive()) {
            process.end();
        }
        DirectoryTree.delete(sockets);
    }
}
