package io.forkrunner.engine.opensearch;

import io.forkrunner.system.ChildProcess;
import io.forkrunner.system.Command;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.ProcessRunner;
import io.forkrunner.system.ServerProcess;
import io.forkrunner.system.ServiceUser;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.stream.Collectors;

/**
 * One OpenSearch node in a directory of its own, which the service user owns: {@code config/} (its
 * {@code opensearch.yml} and a console {@code log4j2.properties}, written by {@link #configure}), {@code data/},
 * {@code logs/}, {@code tmp/} and {@code run/} (pid file). It runs from an OpenSearch home ({@code lib/},
 * {@code modules/}; see {@code src/opensearch/pom.xml}) through the server's own bootstrap in a child JVM, never in
 * forkrunner's, as the {@code opensearch} OS user when forkrunner runs as root, listening on 127.0.0.1 only: a cluster
 * of its own, or one node of an {@link OpenSearchCluster}. Its snapshot repositories lie under {@code path.repo}.
 */
public final class OpenSearchNode {

    /** The OS user nodes run as when forkrunner runs as root (OpenSearch refuses to run as root). */
    public static final String SERVICE_USER = "opensearch";

    /** The environment variable whose JVM options forkrunner's nodes also run with. */
    static final String JAVA_OPTIONS = "FORKRUNNER_OPENSEARCH_JAVA_OPTS";

    /** The setting that names the address a node joins its cluster at. */
    private static final String SEED = "discovery.seed_hosts: ";

    private static final Duration START_TIMEOUT = Duration.ofMinutes(5);
    private static final Duration STOP_TIMEOUT = Duration.ofMinutes(2);
    private static final Duration POLL = Duration.ofMillis(200);
    private static final String LOG4J = """
            # written by forkrunner: the node logs to its standard output, kept in logs/node.out
            status = error
            appender.console.type = Console
            appender.console.name = console
            appender.console.layout.type = PatternLayout
            appender.console.layout.pattern = [%d{ISO8601}][%-5p][%-25c{1.}] [%node_name]%marker %m%n
            rootLogger.level = info
            rootLogger.appenderRef.console.ref = console
            """;

    private final SearchFamily family;
    private final ProcessRunner runner;
    private final Path home;
    private final Path directory;

    /** A node of {@code family}'s server in {@code directory}, from the family's home, run by {@code runner}. */
    public OpenSearchNode(SearchFamily family, ProcessRunner runner, Path directory) {
        this.family = family;
        this.runner = runner;
        this.home = family.home();
        this.directory = directory.toAbsolutePath().normalize();
    }

    public static ServiceUser serviceUser() {
        return ServiceUser.whenRoot(SERVICE_USER);
    }

    Path configDirectory() {
        return directory.resolve("config");
    }

    Path pidFile() {
        return directory.resolve("run").resolve(family.engine() + ".pid");
    }

    Path log() {
        return directory.resolve("logs").resolve("node.out");
    }

    /**
     * Where the node answers HTTP: the port its configuration names, or, for port 0, the one it bound (its
     * {@code http.ports} file).
     */
    public URI uri() {
        int port = configuredHttpPort();
        if (port == 0) {
            String bound = ServiceUser.readIfExists(directory.resolve("logs").resolve("http.ports"))
                    .lines()
                    .findFirst()
                    .orElseThrow(() -> new ForkrunnerException(what() + " has not bound its HTTP port yet"));
            return URI.create("http://" + bound.strip());
        }
        return URI.create("http://127.0.0.1:" + port);
    }

    private int configuredHttpPort() {
        return ServiceUser.readIfExists(configDirectory().resolve(family.configFile()))
                .lines()
                .filter(line -> line.startsWith("http.port: "))
                .map(line ->
                        Integer.parseInt(line.substring("http.port: ".length()).strip()))
                .findFirst()
                .orElseThrow(() -> new ForkrunnerException(what() + " is not configured"));
    }

    /** {@link #configure}s the node as a cluster of its own, then {@link #start}s it. */
    public void start(String cluster, int httpPort, List<Path> repositories) {
        configure(cluster, 1, 1, httpPort, repositories);
        start();
    }

    /**
     * Writes the node's configuration: node {@code node} of the {@code nodes} of cluster {@code cluster} on 127.0.0.1,
     * {@code httpPort} for HTTP (0 for any free one) and any free port for its transport (the node writes the ones it
     * bound into {@code logs/}), {@code repositories} as its {@code path.repo}. A cluster of one node is one of its own
     * (single-node discovery); in a larger one node 1 is the only one that may manage the cluster, which forms around
     * it, and the others hold data and join it at the address {@link #seed} gives them. Refused while it runs.
     */
    void configure(String cluster, int node, int nodes, int httpPort, List<Path> repositories) {
        requireStopped("configure");
        ServiceUser user = runner.serviceUser();
        for (String each : List.of("config", "data", "logs", "tmp", "run")) {
            user.privateDirectory(directory.resolve(each));
        }
        StringBuilder settings = new StringBuilder("# written by forkrunner\n");
        settings.append("cluster.name: ").append(quote(cluster)).append('\n');
        settings.append("node.name: ").append(quote(cluster + "-" + node)).append('\n');
        if (nodes == 1) {
            settings.append("discovery.type: single-node\n");
        } else if (node == 1) {
            settings.append(family.initialManagersSetting())
                    .append(": [")
                    .append(quote(cluster + "-1"))
                    .append("]\n");
        } else {
            settings.append("node.roles: [data, ingest]\n");
            settings.append(SEED).append("[]\n");
        }
        // forkrunner's clusters place every shard wherever the disk stands, as a cluster of one data node always does:
        // above the low watermark a cluster of several would not place a shard restored from a snapshot, and wait
        settings.append("cluster.routing.allocation.disk.threshold_enabled: false\n");
        settings.append("network.host: 127.0.0.1\n");
        settings.append("http.port: ").append(httpPort).append('\n');
        settings.append("transport.port: 0\n");
        settings.append("node.portsfile: true\n");
        settings.append("path.data: ")
                .append(quote(directory.resolve("data").toString()))
                .append('\n');
        settings.append("path.logs: ")
                .append(quote(directory.resolve("logs").toString()))
                .append('\n');
        settings.append("path.repo: [");
        for (int i = 0; i < repositories.size(); i++) {
            settings.append(i == 0 ? "" : ", ")
                    .append(quote(repositories.get(i).toAbsolutePath().toString()));
        }
        settings.append("]\n");
        user.write(configDirectory().resolve(family.configFile()), settings.toString());
        user.write(configDirectory().resolve("log4j2.properties"), LOG4J);
    }

    /** Where the node's transport listens, as another node joining its cluster names it: once it runs. */
    String transportAddress() {
        return ServiceUser.readIfExists(directory.resolve("logs").resolve("transport.ports"))
                .lines()
                .findFirst()
                .map(String::strip)
                .orElseThrow(() -> new ForkrunnerException(what() + " has not bound its transport port yet"));
    }

    /** Has the node, configured to join a cluster, join it at {@code address} when it starts next. */
    void seed(String address) {
        requireStopped("seed");
        Path file = configDirectory().resolve(family.configFile());
        String settings = ServiceUser.readIfExists(file);
        if (!settings.lines().anyMatch(line -> line.startsWith(SEED))) {
            throw new ForkrunnerException(what() + " is not configured to join a cluster");
        }
        runner.serviceUser()
                .write(
                        file,
                        settings.lines()
                                        .map(line -> line.startsWith(SEED) ? SEED + "[" + quote(address) + "]" : line)
                                        .collect(Collectors.joining("\n"))
                                + "\n");
    }

    /** Starts the node as {@link #configure}d, and waits until it answers HTTP. */
    public void start() {
        requireStopped("start");
        if (!Files.isDirectory(home.resolve("lib")) || !Files.isDirectory(home.resolve("modules"))) {
            throw new ForkrunnerException("no " + family.title() + " home in " + home + " (lib/ and modules/): assemble"
                    + " one with " + family.assembly());
        }
        configuredHttpPort();
        for (String ports : List.of("http.ports", "transport.ports")) {
            try {
                Files.deleteIfExists(directory.resolve("logs").resolve(ports)); // the last start's
            } catch (IOException e) {
                throw new ForkrunnerException("cannot remove the ports file of " + what() + ": " + e.getMessage());
            }
        }
        List<String> argv = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xms512m",
                "-Xmx512m",
                "-XX:+UseSerialGC",
                "-XX:-HeapDumpOnOutOfMemoryError"));
        argv.addAll(javaOptions()); // after forkrunner's: the JVM takes the last of each
        argv.addAll(List.of(
                "-Djava.io.tmpdir=" + directory.resolve("tmp"),
                // log4j's own shutdown and its class-loader lookup are not allowed under the server's policy
                "-Dlog4j.shutdownHookEnabled=false",
                "-Dlog4j2.disable.jmx=true",
                family.pathProperty("home") + home,
                family.pathProperty("conf") + configDirectory()));
        argv.addAll(family.properties());
        argv.addAll(List.of(
                "-cp",
                home.resolve("lib") + "/*",
                family.bootstrap(),
                "-p",
                pidFile().toString()));
        ChildProcess node = runner.start(Command.of(argv).asServiceUser().loggingTo(log()));
        HttpClient client =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (!answers(client)) {
            if (!node.isAlive()) {
                throw new ForkrunnerException(what() + " stopped before it answered.\nLog " + log() + ":\n  "
                        + String.join("\n  ", ServerProcess.lastLines(log(), 20)));
            }
            if (System.nanoTime() > deadline) {
                node.end();
                throw new ForkrunnerException(
                        what() + " did not answer within " + START_TIMEOUT + "; it was ended. See its log " + log());
            }
            pause();
        }
    }

    /**
     * The JVM options {@value #JAVA_OPTIONS} adds to forkrunner's for its nodes, separated by spaces: e.g. a larger heap
     * ({@code -Xms4g -Xmx4g}).
     */
    private static List<String> javaOptions() {
        String options = System.getenv(JAVA_OPTIONS);
        return options == null || options.isBlank()
                ? List.of()
                : List.of(options.strip().split("\\s+"));
    }

    private boolean answers(HttpClient client) {
        if (!Files.exists(directory.resolve("logs").resolve("http.ports"))) {
            return false; // written once the node listens, also when its port is a given one
        }
        try {
            HttpResponse<Void> response = client.send(
                    HttpRequest.newBuilder(uri()).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.discarding());
            return response.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ForkrunnerException("interrupted while waiting for " + what());
        }
    }

    /** Stops the node by its own pid: SIGTERM, then waits until it is gone. Nothing to do when it does not run. */
    public void stop() {
        OptionalLong pid = pid();
        if (pid.isPresent()) {
            ServerProcess.stop(pid.getAsLong(), STOP_TIMEOUT, what(), log());
        }
    }

    public boolean isRunning() {
        return pid().isPresent();
    }

    /**
     * The pid of this node's running JVM: the pid file's, when that process lives and was started with this node's
     * configuration directory.
     */
    OptionalLong pid() {
        return ServerProcess.running(
                pidFile(),
                pid -> ServerProcess.commandLine(pid).contains(family.pathProperty("conf") + configDirectory()));
    }

    private void requireStopped(String what) {
        if (isRunning()) {
            throw new ForkrunnerException(
                    "cannot " + what + " " + what() + ": it runs (pid " + pid().getAsLong() + "); stop it first");
        }
    }

    private String what() {
        return "the " + family.title() + " node in " + directory;
    }

    /** A YAML scalar in double quotes, backslashes and quotes escaped. */
    static String quote(String value) {
        return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private static void pause() {
        ServerProcess.pause(POLL, "an OpenSearch node");
    }
}
