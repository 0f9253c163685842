package io.forkrunner.engine.mariadb;

import io.forkrunner.system.ChildProcess;
import io.forkrunner.system.Command;
import io.forkrunner.system.DirectoryTree;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.ProcessRunner;
import io.forkrunner.system.Secret;
import io.forkrunner.system.ServerProcess;
import io.forkrunner.system.ServiceUser;
import io.forkrunner.system.Sha256;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * One MariaDB server in a directory of its own, which the service user owns: {@code data/} (its data directory),
 * {@code binlog/} (its binary logs, {@code binlog.NNNNNN}), {@code run/} (socket, pid file, option files),
 * {@code log/}, and {@code mariadbd.cnf} (the options forkrunner passes through). Runs as the service user
 * ({@value #SERVICE_USER} when forkrunner runs as root), listens on 127.0.0.1 only, reads no option file but its own.
 */
public final class MariaDbServer {

    /** The OS user MariaDB runs as when forkrunner runs as root. */
    public static final String SERVICE_USER = "mysql";
    /** What every instance gets unless the caller's options say otherwise: no replication, no scheduled events. */
    static final Map<String, String> DEFAULT_OPTIONS = defaultOptions();

    private static final Duration START_TIMEOUT = Duration.ofMinutes(10);
    private static final Duration STOP_TIMEOUT = Duration.ofMinutes(10);
    private static final Duration POLL = Duration.ofMillis(100);
    /** The longest socket path a Unix socket address holds (sun_path less its terminating NUL). */
    private static final int SOCKET_PATH_MAX = 107;

    private static final Pattern OPTION_NAME = Pattern.compile("[a-z][a-z0-9_-]*");

    private final ProcessRunner runner;
    private final MariaDbBinaries binaries;
    private final Path directory;
    private final Path socket;

    private static Map<String, String> defaultOptions() {
        Map<String, String> options = new LinkedHashMap<>();
        options.put("skip-slave-start", "");
        options.put("event-scheduler", "OFF");
        return Collections.unmodifiableMap(options);
    }

    public MariaDbServer(ProcessRunner runner, MariaDbBinaries binaries, Path directory) {
        this.runner = runner;
        this.binaries = binaries;
        this.directory = directory.toAbsolutePath().normalize();
        Path beside = runDirectory().resolve("mariadbd.sock");
        this.socket = beside.toString().getBytes(StandardCharsets.UTF_8).length <= SOCKET_PATH_MAX
                ? beside
                : shortSockets(runner.serviceUser()).resolve(digest(this.directory.toString()) + ".sock");
    }

    /** The first 12 bytes of the SHA-256 of {@code text}, in hex. */
    private static String digest(String text) {
        return Sha256.hex(text).substring(0, 24);
    }

    /**
     * Where the sockets of instances too deep for one beside them go (a socket path holds {@value #SOCKET_PATH_MAX}
     * bytes): {@code /run/forkrunner-mariadb} when forkrunner runs as root, else a directory of this user's under the
     * temporary directory; named by a digest of the instance's directory.
     */
    private static Path shortSockets(ServiceUser user) {
        return user.switching()
                ? Path.of("/run/forkrunner-mariadb")
                : Path.of(
                        System.getProperty("java.io.tmpdir"), "forkrunner-mariadb-" + System.getProperty("user.name"));
    }

    /** The service user MariaDB runs as: {@value #SERVICE_USER} when forkrunner runs as root, otherwise itself. */
    public static ServiceUser serviceUser() {
        return ServiceUser.whenRoot(SERVICE_USER);
    }

    public Path directory() {
        return directory;
    }

    public Path dataDirectory() {
        return directory.resolve("data");
    }

    public Path binlogDirectory() {
        return directory.resolve("binlog");
    }

    public Path runDirectory() {
        return directory.resolve("run");
    }

    public Path logDirectory() {
        return directory.resolve("log");
    }

    /**
     * The server's own temporary directory ({@code --tmpdir}): the installer and the server keep their temporary tables
     * there, not in the machine's {@code /tmp}, where another process may remove them (CI saw an install fail on
     * "Could not remove temporary table '/tmp/#sql-temptable-…', error: 2").
     */
    public Path temporaryDirectory() {
        return directory.resolve("tmp");
    }

    /** In {@code run/}, or elsewhere when that path would be too long for a socket (see {@link #shortSockets}). */
    public Path socket() {
        return socket;
    }

    public Path pidFile() {
        return runDirectory().resolve("mariadbd.pid");
    }

    public Path optionFile() {
        return directory.resolve("mariadbd.cnf");
    }

    public Path errorLog() {
        return logDirectory().resolve("mariadbd.err");
    }

    public MariaDbBinaries binaries() {
        return binaries;
    }

    /** A login as {@code user} through this server's socket. */
    public MariaDbLogin socketLogin(String user, Secret password) {
        return MariaDbLogin.socket(socket(), user, password);
    }

    /** A login as {@code user} over TCP on 127.0.0.1, where this server listens when started on {@code port}. */
    public static MariaDbLogin tcpLogin(int port, String user, Secret password) {
        return MariaDbLogin.tcp("127.0.0.1", port, user, password);
    }

    /**
     * Creates an empty data directory with {@code mariadb-install-db}: no test database, and {@code root} only at
     * {@code localhost} and {@code 127.0.0.1}, both with {@code rootPassword} (no passwordless or socket-only root). The
     * password reaches the installer in a 0600 SQL file of the service user's, deleted afterwards. A half-made data
     * directory and binlogs of an earlier attempt are made again.
     */
    public void initialize(Secret rootPassword) {
        requireStopped("initialize");
        DirectoryTree.deleteUnder(directory, dataDirectory());
        DirectoryTree.deleteUnder(directory, binlogDirectory());
        ServiceUser user = runner.serviceUser();
        user.privateDirectory(directory);
        user.privateDirectory(logDirectory());
        user.privateDirectory(runDirectory());
        user.privateDirectory(temporaryDirectory());
        user.privateDirectory(socket.getParent());
        Path sql = runDirectory().resolve("initialize-" + UUID.randomUUID() + ".sql");
        try {
            user.write(sql, rootAccounts(rootPassword));
            runner.run(Command.of(
                            binaries.installDb().toString(),
                            "--no-defaults",
                            "--datadir=" + dataDirectory(),
                            "--auth-root-authentication-method=normal",
                            "--skip-test-db",
                            "--extra-file=" + sql,
                            "--tmpdir=" + temporaryDirectory())
                    .asServiceUser()
                    .loggingTo(logDirectory().resolve("install.log"))
                    .withTimeout(Duration.ofMinutes(5)));
        } finally {
            deleteQuietly(sql);
        }
    }

    /**
     * The SQL that leaves {@code root} at localhost and 127.0.0.1 with {@code password}. It runs in the installer's
     * bootstrap, where the grant tables are off until {@code FLUSH PRIVILEGES}. One statement a line: the bootstrap
     * ends a statement at a line's final semicolon, and the quoted password holds no line break.
     */
    static String rootAccounts(Secret password) {
        String literal = sqlString(password.reveal());
        return String.join(
                "\n",
                "FLUSH PRIVILEGES;",
                "DELETE FROM mysql.global_priv WHERE User = 'root' AND Host NOT IN ('localhost', '127.0.0.1');",
                "DELETE FROM mysql.proxies_priv WHERE User = 'root' AND Host NOT IN ('localhost', '127.0.0.1');",
                "FLUSH PRIVILEGES;",
                "ALTER USER root@localhost IDENTIFIED BY " + literal + ", root@'127.0.0.1' IDENTIFIED BY " + literal
                        + ";",
                "");
    }

    /** A SQL string literal for the default SQL mode (backslash escapes on). */
    static String sqlString(String value) {
        StringBuilder literal = new StringBuilder("'");
        for (char c : value.toCharArray()) {
            switch (c) {
                case '\\' -> literal.append("\\\\");
                case '\'' -> literal.append("\\'");
                case '\n' -> literal.append("\\n");
                case '\r' -> literal.append("\\r");
                case '\0' -> literal.append("\\0");
                case '\u001a' -> literal.append("\\Z");
                default -> literal.append(c);
            }
        }
        return literal.append('\'').toString();
    }

    public void start(int port, int serverId, Map<String, String> options) {
        start(port, serverId, options, START_TIMEOUT);
    }

    /**
     * Starts {@code mariadbd} as the service user on 127.0.0.1:{@code port} with binary logs in ROW format under
     * {@code serverId}, and waits until it answers, for as long as {@code timeout} (crash recovery may take long).
     * {@code options} (e.g. {@code innodb-buffer-pool-size: 64M}) reach it through {@link #optionFile()}, after
     * {@link #DEFAULT_OPTIONS}; what forkrunner sets on the command line (port, address, socket, pid file, data
     * directory, binlogs, server id) wins over them. A server that stops before it answers is named with its own last
     * log lines.
     */
    public void start(int port, int serverId, Map<String, String> options, Duration timeout) {
        requireStopped("start");
        if (port < 1 || port > 65535 || serverId < 1) {
            throw new IllegalArgumentException(
                    "a port in 1-65535 and a server id from 1, not " + port + ", " + serverId);
        }
        if (!Files.isDirectory(dataDirectory(), LinkOption.NOFOLLOW_LINKS)) {
            throw new ForkrunnerException("the MariaDB instance in " + directory + " has no data directory yet:"
                    + " initialize it or lay a backup down into it before starting it");
        }
        ServiceUser user = runner.serviceUser();
        user.privateDirectory(directory);
        user.privateDirectory(runDirectory());
        user.privateDirectory(logDirectory());
        user.privateDirectory(binlogDirectory());
        user.privateDirectory(temporaryDirectory());
        user.privateDirectory(socket.getParent());
        writeOptions(options);
        ChildProcess server = runner.start(Command.of(
                        binaries.server().toString(),
                        "--defaults-file=" + optionFile(),
                        "--datadir=" + dataDirectory(),
                        "--port=" + port,
                        "--bind-address=127.0.0.1",
                        "--socket=" + socket(),
                        "--pid-file=" + pidFile(),
                        "--log-error=" + errorLog(),
                        "--tmpdir=" + temporaryDirectory(),
                        "--log-bin=" + binlogDirectory().resolve("binlog"),
                        "--server-id=" + serverId,
                        "--binlog-format=ROW")
                .asServiceUser()
                .loggingTo(logDirectory().resolve("mariadbd.out")));
        awaitAnswer(server, timeout);
    }

    /**
     * Writes {@link #optionFile()}: group {@code [mariadbd]}, the defaults, then {@code options}. Names are option
     * names; values hold no line break. The file is read instead of any other (it is given as {@code --defaults-file},
     * which, unlike {@code --no-defaults}, still reads one file).
     */
    void writeOptions(Map<String, String> options) {
        Map<String, String> all = new LinkedHashMap<>(DEFAULT_OPTIONS);
        all.putAll(options);
        StringBuilder text = new StringBuilder("# written by forkrunner\n[mariadbd]\n");
        all.forEach((name, value) -> {
            if (!OPTION_NAME.matcher(name).matches()
                    || value.chars().anyMatch(c -> c == '\n' || c == '\r' || c == '#')) {
                throw new IllegalArgumentException("not a MariaDB option: " + name + " = " + value
                        + " (names like innodb-buffer-pool-size, values without line breaks or #)");
            }
            text.append(name).append(value.isEmpty() ? "" : "=" + value).append('\n');
        });
        runner.serviceUser().write(optionFile(), text.toString());
    }

    /** Waits until the server answers on its socket; refused when it ends first or the time is up. */
    private void awaitAnswer(ChildProcess server, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!answers()) {
            if (!server.isAlive()) {
                throw new ForkrunnerException(
                        "the MariaDB server in " + directory + " stopped before it answered." + "\nError log "
                                + errorLog() + ":\n  " + String.join("\n  ", ServerProcess.lastLines(errorLog(), 15)));
            }
            if (System.nanoTime() > deadline) {
                server.end();
                throw new ForkrunnerException("the MariaDB server in " + directory + " did not answer within " + timeout
                        + "; it was ended. See its error log " + errorLog());
            }
            pause();
        }
    }

    /**
     * Whether a server answers on this instance's socket. {@code mariadb-admin ping} exits 0 when the server answers,
     * even when it refuses the login: none is needed, so this works on a fork whose accounts came from its source.
     */
    boolean answers() {
        ChildProcess ping = runner.start(Command.of(
                        binaries.admin().toString(),
                        "--no-defaults",
                        "--protocol=SOCKET",
                        "--socket=" + socket(),
                        "--user=forkrunner-ping",
                        "--connect-timeout=5",
                        "ping")
                .asServiceUser()
                .withTimeout(Duration.ofMinutes(1)));
        try {
            return ping.awaitExit() == 0;
        } catch (InterruptedException e) {
            ping.end();
            Thread.currentThread().interrupt();
            throw new ForkrunnerException("interrupted while waiting for the MariaDB server in " + directory);
        }
    }

    /**
     * Stops the server by its own pid (from its pid file, and only when that process is this instance's mariadbd):
     * SIGTERM, then waits until it is gone. Nothing to do when it does not run.
     */
    public void stop() {
        OptionalLong pid = pid();
        if (pid.isEmpty()) {
            return;
        }
        ServerProcess.stop(pid.getAsLong(), STOP_TIMEOUT, "the MariaDB server in " + directory, errorLog());
    }

    public boolean isRunning() {
        return pid().isPresent();
    }

    /**
     * The pid of this instance's running mariadbd: the pid file's, when that process lives and is a mariadbd started
     * with this instance's pid file. The pid file is never read through a link.
     */
    public OptionalLong pid() {
        return ServerProcess.running(pidFile(), this::isThisServer);
    }

    /** Whether process {@code pid} is a mariadbd started with this instance's pid file (not a pid reused since). */
    private boolean isThisServer(long pid) {
        List<String> argv = ServerProcess.commandLine(pid);
        return !argv.isEmpty()
                && Path.of(argv.get(0)).getFileName().toString().equals("mariadbd")
                && argv.contains("--pid-file=" + pidFile());
    }

    /** The binary log files of this instance, oldest first (the index file left out). */
    public List<Path> binlogFiles() {
        if (!Files.isDirectory(binlogDirectory())) {
            return List.of();
        }
        try (var files = Files.list(binlogDirectory())) {
            return BinlogPosition.inOrder(files.filter(file ->
                            BinlogPosition.isBinlogName(file.getFileName().toString()))
                    .toList());
        } catch (IOException e) {
            throw new ForkrunnerException("cannot list the binary logs in " + binlogDirectory(), e);
        }
    }

    private void requireStopped(String what) {
        if (isRunning()) {
            throw new ForkrunnerException("cannot " + what + " the MariaDB server in " + directory + ": it runs (pid "
                    + pid().getAsLong() + "); stop it first");
        }
    }

    private static void pause() {
        ServerProcess.pause(POLL, "a MariaDB server");
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + file, e);
        }
    }
}
