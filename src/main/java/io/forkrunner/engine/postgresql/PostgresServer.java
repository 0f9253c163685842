package io.forkrunner.engine.postgresql;

import io.forkrunner.system.ChildProcess;
import io.forkrunner.system.Command;
import io.forkrunner.system.DirectoryTree;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.Passfile;
import io.forkrunner.system.ProcessFailedException;
import io.forkrunner.system.ProcessRunner;
import io.forkrunner.system.Secret;
import io.forkrunner.system.ServerProcess;
import io.forkrunner.system.ServiceUser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One PostgreSQL server in a directory of its own: {@code data/} (its PGDATA), {@code log/}. Runs as the service user.
 * Listens on 127.0.0.1 only, on TCP only.
 */
public final class PostgresServer {

    static final String SETTINGS_FILE = "forkrunner.conf";
    /** The source's settings on a fork, read before {@link #SETTINGS_FILE} so that this server's own win. */
    static final String SOURCE_SETTINGS_FILE = "source.conf";

    private static final Duration START_TIMEOUT = Duration.ofMinutes(10);
    /** The postmaster's status in {@code postmaster.pid} (0-based line): starting, standby, ready or stopping. */
    private static final int PID_FILE_STATUS_LINE = 7;

    private final ProcessRunner runner;
    private final PostgresBinaries binaries;
    private final Path directory;

    public PostgresServer(ProcessRunner runner, PostgresBinaries binaries, Path directory) {
        this.runner = runner;
        this.binaries = binaries;
        this.directory = directory;
    }

    public Path directory() {
        return directory;
    }

    public Path dataDirectory() {
        return directory.resolve("data");
    }

    public Path logDirectory() {
        return directory.resolve("log");
    }

    public PostgresBinaries binaries() {
        return binaries;
    }

    /**
     * Creates the cluster with {@code initdb}: superuser {@code postgres}, trust when no password is given (tests'
     * sources only), otherwise scram-sha-256 with that password for every connection.
     */
    public void initialize(int port, Secret superuserPassword, Map<String, String> settings) {
        initialize("postgres", port, superuserPassword, settings);
    }

    /** Creates the cluster with {@code initdb} and the superuser {@code superuser}; a half-made one is made again. */
    public void initialize(String superuser, int port, Secret superuserPassword, Map<String, String> settings) {
        DirectoryTree.deleteUnder(directory, dataDirectory());
        runner.serviceUser().privateDirectory(directory);
        runner.serviceUser().privateDirectory(logDirectory());
        List<String> argv = new ArrayList<>(List.of(
                binaries.path("initdb"),
                "-D",
                dataDirectory().toString(),
                "-U",
                superuser,
                "-E",
                "UTF8",
                "--locale=C"));
        Passfile passwordFile = null;
        try {
            if (superuserPassword == null) {
                argv.add("--auth=trust");
            } else {
                passwordFile = Passfile.plain(directory.resolve("run"), runner.serviceUser(), superuserPassword);
                argv.add("--auth=scram-sha-256");
                argv.add("--pwfile=" + passwordFile.path());
            }
            runner.run(Command.of(argv)
                    .asServiceUser()
                    .loggingTo(logDirectory().resolve("initdb.log"))
                    .withTimeout(Duration.ofMinutes(5)));
        } finally {
            if (passwordFile != null) {
                passwordFile.close();
            }
        }
        includeSettingsFile();
        writeSettings(port, settings);
    }

    /**
     * Makes every connection over TCP ask for a password (scram-sha-256), whatever {@code pg_hba.conf} allowed before;
     * takes effect on the next reload.
     */
    public void requirePasswords() {
        runner.serviceUser()
                .write(
                        dataDirectory().resolve("pg_hba.conf"),
                        "# written by forkrunner: TCP on 127.0.0.1 with passwords\n"
                                + "host all all 127.0.0.1/32 scram-sha-256\n"
                                + "host replication all 127.0.0.1/32 scram-sha-256\n");
    }

    /** Makes postgresql.conf read forkrunner's own settings file last, so that its settings win. */
    void includeSettingsFile() {
        Path conf = dataDirectory().resolve("postgresql.conf");
        String text = ServiceUser.readIfExists(conf);
        String include = "include_if_exists = '" + SETTINGS_FILE + "'";
        if (!text.contains(include)) {
            runner.serviceUser().write(conf, text + "\n" + include + "\n");
        }
    }

    /** Writes the port, the listen address and {@code settings} to forkrunner's settings file of this server. */
    public void writeSettings(int port, Map<String, String> settings) {
        Map<String, String> all = new LinkedHashMap<>();
        all.put("port", String.valueOf(port));
        all.put("listen_addresses", "'127.0.0.1'");
        all.put("unix_socket_directories", "''");
        all.putAll(settings);
        StringBuilder text = new StringBuilder("# written by forkrunner\n");
        all.forEach(
                (name, value) -> text.append(name).append(" = ").append(value).append('\n'));
        runner.serviceUser().write(dataDirectory().resolve(SETTINGS_FILE), text.toString());
    }

    public void start() {
        start(START_TIMEOUT);
    }

    /**
     * Starts the server and waits until it accepts connections, for as long as {@code timeout} (a recovery may take
     * long). A failed start names the server's own last log lines.
     */
    public void start(Duration timeout) {
        Path serverLog = logDirectory().resolve("postgresql.log");
        try {
            runner.run(Command.of(
                            binaries.path("pg_ctl"),
                            "-D",
                            dataDirectory().toString(),
                            "-l",
                            serverLog.toString(),
                            "-w",
                            "-t",
                            String.valueOf(timeout.toSeconds()),
                            "start")
                    .asServiceUser()
                    .loggingTo(logDirectory().resolve("pg_ctl.log"))
                    .withTimeout(timeout.plusMinutes(1)));
        } catch (ProcessFailedException e) {
            throw new ProcessFailedException(
                    e.getMessage() + "\nServer log " + serverLog + ":\n  "
                            + String.join("\n  ", ServerProcess.lastLines(serverLog, 10)),
                    e.processExitCode());
        }
    }

    public void restart() {
        stop();
        start();
    }

    /**
     * Waits until the postmaster reports itself ready for connections, for as long as {@code timeout}. Needed after a
     * start into archive recovery without hot standby: {@code pg_ctl -w} returns as soon as recovery begins, while the
     * server accepts connections only once recovery has ended. A server that stops meanwhile (a failed recovery) is
     * named with its own last log lines.
     */
    public void awaitReady(Duration timeout) {
        Path pidfile = dataDirectory().resolve("postmaster.pid");
        Path serverLog = logDirectory().resolve("postgresql.log");
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<String> lines = postmasterLines(pidfile);
            boolean alive = !lines.isEmpty()
                    && ProcessHandle.of(Long.parseLong(lines.get(0).strip()))
                            .map(ProcessHandle::isAlive)
                            .orElse(false);
            if (!alive) {
                throw new ForkrunnerException(
                        "the server in " + directory + " stopped before it was ready.\nServer log " + serverLog
                                + ":\n  " + String.join("\n  ", ServerProcess.lastLines(serverLog, 10)));
            }
            if (lines.size() > PID_FILE_STATUS_LINE
                    && lines.get(PID_FILE_STATUS_LINE).strip().equals("ready")) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new ForkrunnerException(
                        "the server in " + directory + " is not ready after " + timeout + "; see its log " + serverLog);
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ForkrunnerException("interrupted while waiting for the server in " + directory);
            }
        }
    }

    private static List<String> postmasterLines(Path pidfile) {
        try {
            return Files.exists(pidfile) ? Files.readAllLines(pidfile) : List.of();
        } catch (IOException e) {
            return List.of();
        }
    }

    public void stop() {
        if (!isRunning()) {
            return;
        }
        runner.run(Command.of(binaries.path("pg_ctl"), "-D", dataDirectory().toString(), "-m", "fast", "-w", "stop")
                .asServiceUser()
                .loggingTo(logDirectory().resolve("pg_ctl.log"))
                .withTimeout(Duration.ofMinutes(5)));
    }

    public boolean isRunning() {
        if (!Files.exists(dataDirectory().resolve("postmaster.pid"))) {
            return false;
        }
        ChildProcess status = runner.start(Command.of(
                        binaries.path("pg_ctl"), "status", "-D", dataDirectory().toString())
                .asServiceUser()
                .withTimeout(Duration.ofMinutes(1)));
        try {
            return status.awaitExit() == 0;
        } catch (InterruptedException e) {
            status.end();
            Thread.currentThread().interrupt();
            throw new ForkrunnerException("interrupted while asking whether " + directory + " runs");
        }
    }
}
