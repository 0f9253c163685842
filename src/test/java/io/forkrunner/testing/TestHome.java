package io.forkrunner.testing;

import io.forkrunner.cli.Cli;
import io.forkrunner.engine.postgresql.PostgresBinaries;
import io.forkrunner.engine.postgresql.PostgresServer;
import io.forkrunner.system.Home;
import io.forkrunner.system.ProcessRunner;
import io.forkrunner.system.ServiceUser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A forkrunner home for one test: a folder under {@code target/test-homes} (open to the service user), its own
 * metadata database, and helpers to run commands in-process or as child processes. Closing it ends everything it
 * started: forkrunner processes, PostgreSQL servers under it, the metadata database.
 */
public final class TestHome implements AutoCloseable {

    /** The bearer tokens of every test home's API. */
    public static final String OPERATOR_TOKEN = "op-token-5b1c0e";

    public static final String VIEWER_TOKEN = "view-token-93fa2d";

    private final Path root;

    private final MetadataDatabases.Database metadata;
    private final List<Process> processes = new ArrayList<>();
    private final List<PostgresServer> servers = new ArrayList<>();

    private TestHome(Path root, MetadataDatabases.Database metadata) {
        this.root = root;
        this.metadata = metadata;
    }

    public static TestHome create(String name) {
        Path root = Path.of(
                        "target",
                        "test-homes",
                        name + "-" + UUID.randomUUID().toString().substring(0, 8))
                .toAbsolutePath();
        try {
            Files.createDirectories(root.resolve("config"));
            Files.createDirectories(root.resolve("jobs"));
            for (Path path = root;
                    path.getParent() != null && !path.equals(Path.of("").toAbsolutePath());
                    path = path.getParent()) {
                Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        MetadataDatabases.Database metadata = MetadataDatabases.create();
        TestHome home = new TestHome(root, metadata);
        StringBuilder settings = new StringBuilder("""
                metadata:
                  url: %s
                  user: %s
                """.formatted(metadata.url(), metadata.user()));
        if (metadata.password() != null) {
            settings.append("  password: ${file:var/secrets/metadata}\n");
            home.write("var/secrets/metadata", metadata.password());
        }
        settings.append("""
                api:
                  port: 0
                  tokens:
                    - { name: ops, role: operator, secret: "${file:var/secrets/operator-token}" }
                    - { name: wall, role: viewer, secret: "${file:var/secrets/viewer-token}" }
                """);
        home.write("var/secrets/operator-token", OPERATOR_TOKEN);
        home.write("var/secrets/viewer-token", VIEWER_TOKEN);
        home.write("config/forkrunner.yml", settings.toString());
        return home;
    }

    public Path root() {
        return root;
    }

    public Home home() {
        return new Home(root);
    }

    public Path path(String relative) {
        return root.resolve(relative);
    }

    public MetadataDatabases.Database metadata() {
        return metadata;
    }

    public TestHome write(String relative, String text) {
        Path file = root.resolve(relative);
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    /** Runs one command line in this JVM. */
    public CliResult cli(String... args) {
        return cli(root, args);
    }

    /** Runs one command line in this JVM, in the home at {@code root}. */
    public static CliResult cli(Path root, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        List<String> all = new ArrayList<>(List.of("--home", root.toString()));
        all.addAll(List.of(args));
        int exit;
        try (PrintStream outStream = new PrintStream(out, true, StandardCharsets.UTF_8);
                PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            exit = Cli.execute(all.toArray(String[]::new), outStream, errStream);
        }
        return new CliResult(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /**
     * Writes {@code config/services.yml}: the region {@code eu-local} (local, under {@code var/regions/eu}, on
     * {@code ports}) and {@code services}, each declared as {@link TestSource#serviceYaml} declares one.
     */
    public TestHome declareServices(Ports.Range ports, String... services) {
        return write("config/services.yml", """
                regions:
                  eu-local: { provisioner: local, root: var/regions/eu, ports: %s }
                services:
                %s""".formatted(ports.yaml(), String.join("", services)));
    }

    /** Writes the job {@code name}, {@code jobs/NAME.yml}. */
    public TestHome job(String name, String yaml) {
        return write("jobs/" + name + ".yml", yaml);
    }

    /** Adds {@code yaml} to the end of {@code config/forkrunner.yml}. */
    public TestHome addSettings(String yaml) {
        return write("config/forkrunner.yml", read("config/forkrunner.yml") + yaml);
    }

    /** Takes a backup of {@code service} with {@code backup SERVICE}, and fails unless it succeeds. */
    public CliResult backUp(String service) {
        CliResult backup = cli("backup", service);
        if (backup.exitCode() != 0) {
            throw new AssertionError("backup of " + service + " failed: " + backup);
        }
        return backup;
    }

    /**
     * Starts {@code serve} (output in {@code var/log/serve.out}), waits until it archives the WAL of {@code service},
     * and takes a backup of it; returns the {@code serve} process.
     */
    public Process serveAndBackUp(String service) {
        Process serve = start("serve", Map.of(), "serve");
        Awaitility.await()
                .atMost(Duration.ofSeconds(60))
                .ignoreExceptions()
                .until(() -> read("var/log/serve.out").contains("archiving WAL of " + service + " (pid"));
        backUp(service);
        return serve;
    }

    /**
     * Declares in {@code config/services.yml} a region and one service, {@code name}, that has no backup and takes
     * none (nothing listens on its port): a run forking it ends FAILED at pick backup, saying so.
     */
    public TestHome serviceWithoutBackup(String name) {
        return declareServices(Ports.range(10), """
                  %s:
                    engine: postgresql
                    region: eu-local
                    host: 127.0.0.1
                    port: %d
                    user: postgres
                    backups: { keep: 1, wal: none }
                """.formatted(name, Ports.one()));
    }

    /** The port of the registered fork {@code fork}, as {@code forks --json} shows it. */
    public int forkPort(String fork) {
        for (JsonNode record :
                JsonMapper.builder().build().readTree(cli("forks", "--json").out())) {
            if (record.path("name").asText().equals(fork)) {
                return record.path("port").asInt();
            }
        }
        throw new AssertionError("no fork " + fork + " is registered");
    }

    /** Starts forkrunner as a child process of its own, output to {@code var/log/NAME.out}. */
    public Process start(String logName, Map<String, String> environment, String... args) {
        try {
            Path log = root.resolve("var/log/" + logName + ".out");
            Files.createDirectories(log.getParent());
            ProcessBuilder builder = new ProcessBuilder(javaCommand(args))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            builder.environment().putAll(environment);
            Process process = builder.start();
            processes.add(process);
            return process;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs one command line in a JVM of its own, with {@code environment} added, and waits for its end. */
    public CliResult cliInChild(Map<String, String> environment, String... args) {
        try {
            Path out = Files.createTempFile("child", ".out");
            Path err = Files.createTempFile("child", ".err");
            ProcessBuilder builder = new ProcessBuilder(javaCommand(args))
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile());
            builder.environment().putAll(environment);
            Process process = builder.start();
            processes.add(process);
            if (!process.waitFor(5, TimeUnit.MINUTES)) {
                throw new IllegalStateException("forkrunner " + String.join(" ", args) + " did not end");
            }
            CliResult result = new CliResult(process.exitValue(), Files.readString(out), Files.readString(err));
            Files.delete(out);
            Files.delete(err);
            return result;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private List<String> javaCommand(String... args) {
        List<String> command = new ArrayList<>(ChildJvm.start());
        command.addAll(List.of("io.forkrunner.cli.Cli", "--home", root.toString()));
        command.addAll(List.of(args));
        return command;
    }

    /**
     * A run of {@code job}, as {@code status --json} shows it, whose restore-data step {@code step} accepts; null when
     * there is none yet.
     */
    public JsonNode runRestoring(String job, Predicate<JsonNode> step) {
        for (JsonNode run :
                JsonMapper.builder().build().readTree(cli("status", "--json").out())) {
            if (run.path("job").asText().equals(job)) {
                for (JsonNode each : run.path("steps")) {
                    if (each.path("name").asText().equals("restore-data") && step.test(each)) {
                        return run;
                    }
                }
            }
        }
        return null;
    }

    /**
     * Runs {@code job} in a process of its own and kills it once its restore-data step is as {@code step} accepts;
     * returns the run as {@code status --json} showed it then.
     */
    public JsonNode killWhileRestoring(String job, Predicate<JsonNode> step) throws InterruptedException {
        Process runner = start(job, Map.of(), "run", job);
        JsonNode running = Awaitility.await()
                .atMost(Duration.ofSeconds(180))
                .pollInterval(Duration.ofMillis(300))
                .ignoreExceptions()
                .until(() -> runRestoring(job, step), node -> node != null);
        runner.destroyForcibly();
        if (!runner.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the run of " + job + " did not end when killed");
        }
        return running;
    }

    /**
     * {@code restart RUN --json} once the process that ran it is gone from the metadata store's view: the store frees
     * an ended process's run lock when it sees its connection close, and its lease may still be running.
     */
    public CliResult restartOnceReleased(long run) throws InterruptedException {
        // only the wait for the release is bounded: the restart itself takes as long as what is left of the run
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (true) {
            CliResult result = cli("restart", String.valueOf(run), "--json");
            boolean held = result.err().contains("is executing or being restarted in another process")
                    || result.err().contains("was renewed by");
            if (!held || System.nanoTime() > deadline) {
                return result;
            }
            Thread.sleep(500); // before asking again
        }
    }

    /**
     * Waits until run {@code run} holds no lease that has not expired, by the metadata store's clock: what a restart
     * of a run whose process was killed waits for.
     */
    public void awaitLeaseExpired(long run) {
        Awaitility.await()
                .atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(200))
                .ignoreExceptions()
                .until(() -> {
                    try (Connection metadata = metadataConnection();
                            java.sql.Statement statement = metadata.createStatement();
                            java.sql.ResultSet live = statement.executeQuery(
                                    "select count(*) from run_leases where expires_at >= now() and run_id = " + run)) {
                        live.next();
                        return live.getInt(1) == 0;
                    }
                });
    }

    /** Whether a restore-data step is laying a backup down now. */
    public static boolean layingDown(JsonNode step) {
        return step.path("state").asText().equals("STARTED")
                && step.path("progress").asText().startsWith("bytes laid down");
    }

    /**
     * Whether a restore-data step runs and has not laid its backup down yet. A backup of one file (a Redis snapshot)
     * shows no "bytes laid down" progress until that file is whole, by which time the step is nearly done.
     */
    public static boolean beforeLaidDown(JsonNode step) {
        String checkpoint = step.path("checkpoint").asText("");
        return step.path("state").asText().equals("STARTED") && (checkpoint.isEmpty() || checkpoint.equals("-"));
    }

    /** Starts {@code serve} as a child process (output in {@code var/log/serve.out}); its API's base URL once it listens. */
    public String serve() {
        start("serve", Map.of(), "serve");
        return apiBase("serve");
    }

    /**
     * Mounts a tmpfs of {@code megabytes} at {@code relative} (the tests run as root): a file system that fills up.
     * Unmount it with {@link #unmount}.
     */
    public Path tmpfs(String relative, int megabytes) {
        Path mountPoint = root.resolve(relative);
        try {
            Files.createDirectories(mountPoint);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        command("mount", "-t", "tmpfs", "-o", "size=" + megabytes + "m,mode=0755", "tmpfs", mountPoint.toString());
        return mountPoint;
    }

    /**
     * Mounts at {@code relative} a new XFS file system with reflink (files can be cloned), from a sparse image of
     * {@code megabytes} beside the home, on a loop device (the tests run as root; {@code xfsprogs} is installed by the
     * test command). What was at {@code relative} before is copied onto it. Unmount it with {@link #unmount}.
     */
    public Path xfs(String relative, int megabytes) {
        Path mountPoint = root.resolve(relative);
        Path image = root.resolveSibling(root.getFileName() + "-" + relative.replace('/', '-') + ".xfs");
        Path before = root.resolve(relative + ".before-xfs");
        try {
            Files.createDirectories(mountPoint);
            Files.move(mountPoint, before);
            Files.createDirectories(mountPoint);
            command("truncate", "-s", megabytes + "M", image.toString());
            command("mkfs.xfs", "-q", "-m", "reflink=1", image.toString());
            command("mount", "-o", "loop", image.toString(), mountPoint.toString());
            Files.delete(image); // the loop device holds it until unmounted
            command("chmod", "0755", mountPoint.toString());
            command("cp", "-a", before + "/.", mountPoint.toString());
            command("rm", "-r", before.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return mountPoint;
    }

    /** Unmounts a file system mounted by {@link #tmpfs} or {@link #xfs}, at once even while a file there is open. */
    public static void unmount(Path mountPoint) {
        command("umount", "-l", mountPoint.toString());
    }

    private static void command(String... command) {
        try {
            Process process = new ProcessBuilder(command).inheritIO().start();
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A connection as {@code postgres} to a database of a fork, found with {@code forks --json}. */
    public Connection connectToFork(String fork, String database, String password) throws SQLException {
        int port = -1;
        for (JsonNode record :
                JsonMapper.builder().build().readTree(cli("forks", "--json").out())) {
            if (record.path("name").asText().equals(fork)) {
                port = record.path("port").asInt();
            }
        }
        Properties login = new Properties();
        login.setProperty("user", "postgres");
        login.setProperty("password", password);
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/" + database, login);
    }

    /** A step of a run as {@code status --json} shows it. */
    public static JsonNode step(JsonNode run, String name) {
        for (JsonNode step : run.path("steps")) {
            if (step.path("name").asText().equals(name)) {
                return step;
            }
        }
        throw new AssertionError("no step " + name + " in " + run);
    }

    /** Whether a restore-data step has loaded at least one table into a new server. */
    public static boolean loadingTables(JsonNode step) {
        String progress = step.path("progress").asText();
        return progress.startsWith("tables restored: ") && !progress.startsWith("tables restored: 0 ");
    }

    /** The base URL of the API of the {@code serve} logging to {@code var/log/LOGNAME.out}, once it listens. */
    public String apiBase(String logName) {
        Pattern listening = Pattern.compile("dashboard on (http://[^/\\s]+)/");
        String log = Awaitility.await()
                .atMost(Duration.ofSeconds(90))
                .ignoreExceptions()
                .until(
                        () -> read("var/log/" + logName + ".out"),
                        text -> listening.matcher(text).find());
        Matcher matcher = listening.matcher(log);
        matcher.find();
        return matcher.group(1);
    }

    /** The first backup of a service that {@link #serveUntilPruned} saw verified, and the backups kept then. */
    public record PrunedBackups(String first, List<String> kept) {}

    /**
     * Starts {@code serve} (its log {@code var/log/serve.out}) for a service that backs up every interval and keeps
     * two, and waits until it has verified three backups of {@code service} and two are kept. One more may be under way
     * meanwhile.
     */
    public PrunedBackups serveUntilPruned(String service) {
        start("serve", Map.of(), "serve");
        Awaitility.await()
                .atMost(Duration.ofSeconds(240))
                .pollInterval(Duration.ofSeconds(1))
                .until(() -> backupsVerifiedInLog(service).size() >= 3
                        && verifiedBackups(service).size() == 2);
        return new PrunedBackups(backupsVerifiedInLog(service).get(0), verifiedBackups(service));
    }

    /** The ids of the backups of {@code service} that {@code backups SERVICE --json} lists as VERIFIED. */
    private List<String> verifiedBackups(String service) {
        List<String> ids = new ArrayList<>();
        for (JsonNode backup : JsonMapper.builder()
                .build()
                .readTree(cli("backups", service, "--json").out())
                .path("backups")) {
            if (backup.path("state").asText().equals("VERIFIED")) {
                ids.add(backup.path("id").asText());
            }
        }
        return ids;
    }

    /** The ids of the backups of {@code service} that serve's log says were verified, in order. */
    private List<String> backupsVerifiedInLog(String service) {
        List<String> ids = new ArrayList<>();
        Matcher line = Pattern.compile("backup (\\S+) of " + Pattern.quote(service) + " verified")
                .matcher(read("var/log/serve.out"));
        while (line.find()) {
            ids.add(line.group(1));
        }
        return ids;
    }

    public String read(String relative) {
        try {
            return Files.readString(root.resolve(relative));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** How often each step of run {@code run} was executed, as {@code STEP|COUNT}, from the metadata store. */
    public List<String> executionsPerStep(long run) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (Connection metadata = metadataConnection();
                java.sql.Statement statement = metadata.createStatement();
                java.sql.ResultSet result = statement.executeQuery("select s.step_name, count(*)"
                        + " from batch_step_execution s join batch_job_execution e"
                        + " on e.job_execution_id = s.job_execution_id where e.job_instance_id = " + run
                        + " group by 1")) {
            while (result.next()) {
                rows.add(result.getString(1) + "|" + result.getInt(2));
            }
        }
        return rows;
    }

    /** A connection to this home's metadata database. */
    public Connection metadataConnection() throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", metadata.user());
        if (metadata.password() != null) {
            properties.setProperty("password", metadata.password());
        }
        properties.setProperty("ApplicationName", "forkrunner-test");
        return DriverManager.getConnection(metadata.url(), properties);
    }

    void adopt(PostgresServer server) {
        servers.add(server);
    }

    @Override
    public void close() {
        for (Process process : processes) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            try {
                process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        stopServersUnder(root);
        endProcessesMentioning(root);
        MetadataDatabases.drop(metadata);
    }

    /**
     * Ends what else runs from this home: PgBouncers in front of forks, and servers working in it whose command line
     * does not say so (Redis replaces its own with its address).
     */
    private static void endProcessesMentioning(Path directory) {
        ProcessHandle.allProcesses()
                .filter(process -> process.info().commandLine().orElse("").contains(directory.toString())
                        || worksIn(process, directory))
                .forEach(ProcessHandle::destroyForcibly);
    }

    private static boolean worksIn(ProcessHandle process, Path directory) {
        try {
            return Files.readSymbolicLink(Path.of("/proc", String.valueOf(process.pid()), "cwd"))
                    .startsWith(directory.toAbsolutePath());
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /** Stops every PostgreSQL server whose data directory lies under {@code directory}. */
    private void stopServersUnder(Path directory) {
        ProcessRunner runner = new ProcessRunner(ServiceUser.detect());
        try (Stream<Path> tree = Files.walk(directory)) {
            for (Path pid : tree.filter(path -> path.getFileName().toString().equals("postmaster.pid"))
                    .toList()) {
                Path data = pid.getParent();
                String version = Files.readString(data.resolve("PG_VERSION")).strip();
                new PostgresServer(runner, PostgresBinaries.of(Integer.parseInt(version)), data.getParent()).stop();
            }
        } catch (IOException | RuntimeException e) {
            System.err.println("cleanup of " + directory + ": " + e);
        }
    }
}
