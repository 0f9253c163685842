package io.forkrunner.engine.cassandra;

import io.forkrunner.engine.MajorMinor;
import io.forkrunner.system.ChildProcess;
import io.forkrunner.system.Command;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.ProcessRunner;
import io.forkrunner.system.ServerProcess;
import io.forkrunner.system.ServiceUser;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * One Apache Cassandra node in a directory of its own, which the service user owns: {@code conf/} (its
 * {@code cassandra.yaml} and a {@code logback.xml} that logs to the console, written by {@link #configure}),
 * {@code data/}, {@code commitlog/}, {@code saved_caches/}, {@code hints/}, {@code cdc_raw/}, {@code logs/} (its
 * output in {@code node.out}), {@code tmp/} and {@code run/} (pid file). It runs Cassandra's daemon from a Cassandra
 * home ({@code lib/} and {@code conf/jvm17-server.options}; see {@code src/cassandra/pom.xml}) in a child JVM, never
 * in forkrunner's, as the {@code cassandra} OS user when forkrunner runs as root.
 *
 * <p>Nodes of one cluster bind distinct loopback addresses with the same ports. Each owns the one token it is given,
 * so a cluster's layout is reproducible, and never bootstraps (a new cluster's nodes have nothing to stream). Logins
 * need a password, and permissions are checked, as on the services forkrunner forks. The node's JMX answers on
 * 127.0.0.1 only, at its own port, without authentication, as a Cassandra node's local JMX does.
 */
public final class CassandraNode {

    /** The OS user nodes run as when forkrunner runs as root. */
    public static final String SERVICE_USER = "cassandra";

    /** The environment variable whose JVM options forkrunner's nodes also run with. */
    static final String JAVA_OPTIONS = "FORKRUNNER_CASSANDRA_JAVA_OPTS";

    /** The environment variable that names another Cassandra home than the assembled one. */
    static final String HOME_VARIABLE = "FORKRUNNER_CASSANDRA_HOME";

    private static final String ASSEMBLED_HOME = "target/cassandra-5.0.9";
    private static final String JVM_OPTIONS_FILE = "conf/jvm17-server.options";
    private static final String DAEMON = "org.apache.cassandra.service.CassandraDaemon";
    /** Where the node's JMX listens: Cassandra's local JMX binds the loopback address. */
    static final String JMX_HOST = "127.0.0.1";

    private static final Duration START_TIMEOUT = Duration.ofMinutes(5);
    private static final Duration STOP_TIMEOUT = Duration.ofMinutes(2);
    private static final Duration POLL = Duration.ofMillis(500);
    private static final List<String> DIRECTORIES =
            List.of("conf", "data", "commitlog", "saved_caches", "hints", "cdc_raw", "logs", "tmp", "run");
    private static final String LOGBACK = """
            <!-- written by forkrunner: the node logs to its standard output, kept in logs/node.out -->
            <configuration>
              <appender name="console" class="ch.qos.logback.core.ConsoleAppender">
                <encoder>
                  <pattern>%date{ISO8601} %-5level [%thread] %logger{0}: %msg%n</pattern>
                </encoder>
              </appender>
              <root level="INFO">
                <appender-ref ref="console"/>
              </root>
            </configuration>
            """;

    /**
     * The settings forkrunner gives every node and a node's {@link Settings#extra()} may replace: small memtables
     * and caches, and a commit log synced every ten seconds, for nodes that hold forks rather than production load.
     */
    private static final Map<String, String> DEFAULTS = defaults();

    /** The settings that make a node what it is and where: forkrunner's, never one of the further settings. */
    private static final Set<String> FORKRUNNERS = Set.of(
            "cluster_name",
            "num_tokens",
            "initial_token",
            "allocate_tokens_for_keyspace",
            "allocate_tokens_for_local_replication_factor",
            "auto_bootstrap",
            "authenticator",
            "authorizer",
            "role_manager",
            "network_authorizer",
            "listen_address",
            "listen_interface",
            "broadcast_address",
            "rpc_address",
            "rpc_interface",
            "broadcast_rpc_address",
            "storage_port",
            "ssl_storage_port",
            "native_transport_port",
            "native_transport_port_ssl",
            "endpoint_snitch",
            "start_native_transport",
            "seed_provider",
            "data_file_directories",
            "local_system_data_file_directory",
            "commitlog_directory",
            "saved_caches_directory",
            "hints_directory",
            "cdc_raw_directory");

    private static final Pattern ADDRESS =
            Pattern.compile("(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])){3}");
    private static final Pattern SETTING = Pattern.compile("[a-z][a-z0-9_]{0,99}");
    private static final Pattern TOKEN = Pattern.compile("-?[0-9]{1,40}");
    /** A data center's or rack's name as the snitch's properties file can hold it. */
    private static final Pattern PLACE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

    private static final String RACK_FILE = "cassandra-rackdc.properties";

    /**
     * What a node is: its cluster, the loopback address it binds, its ports, the tokens it owns, the seeds it first
     * gossips with, and further scalar {@code cassandra.yaml} settings (e.g. the non-default settings of the service
     * a fork copies), which may replace forkrunner's defaults but not what makes the node what it is and where.
     *
     * @param cluster the cluster's name
     * @param address the IPv4 address it listens on for clients and for other nodes, e.g. 127.0.0.2
     * @param nativePort the port of its CQL native transport, on {@code address}
     * @param storagePort the port other nodes reach it on, on {@code address}
     * @param jmxPort the port of its JMX, on 127.0.0.1
     * @param tokens the tokens it owns, integers (for Murmur3, see {@link #spreadTokens}): one, or a source node's
     *     virtual nodes
     * @param seeds {@code ADDRESS} or {@code ADDRESS:PORT} of the nodes it first gossips with (itself for the first
     *     node of a cluster)
     * @param datacenter the data center it says it is in (its keyspaces' replication names data centers)
     * @param rack the rack it says it is in
     * @param extra further settings, by their names in {@code cassandra.yaml}
     */
    public record Settings(
            String cluster,
            String address,
            int nativePort,
            int storagePort,
            int jmxPort,
            List<String> tokens,
            List<String> seeds,
            String datacenter,
            String rack,
            Map<String, String> extra) {

        /** A node in the data center and rack a new cluster's nodes are in by default. */
        public Settings(
                String cluster,
                String address,
                int nativePort,
                int storagePort,
                int jmxPort,
                List<String> tokens,
                List<String> seeds,
                Map<String, String> extra) {
            this(cluster, address, nativePort, storagePort, jmxPort, tokens, seeds, "datacenter1", "rack1", extra);
        }

        public Settings {
            if (cluster == null || cluster.isBlank()) {
                throw new IllegalArgumentException("a Cassandra node needs a cluster name");
            }
            if (address == null || !ADDRESS.matcher(address).matches()) {
                throw new IllegalArgumentException("not an IPv4 address for a Cassandra node: " + address);
            }
            for (int port : List.of(nativePort, storagePort, jmxPort)) {
                if (port < 1 || port > 65535) {
                    throw new IllegalArgumentException("not a port for a Cassandra node: " + port);
                }
            }
            tokens = List.copyOf(tokens);
            if (tokens.isEmpty()) {
                throw new IllegalArgumentException("a Cassandra node owns at least one token");
            }
            for (String token : tokens) {
                if (!TOKEN.matcher(token).matches()) {
                    throw new IllegalArgumentException("not a token for a Cassandra node: " + token);
                }
            }
            for (String place : List.of(datacenter, rack)) {
                if (place == null || !PLACE.matcher(place).matches()) {
                    throw new IllegalArgumentException("not a data center or rack for a Cassandra node: " + place);
                }
            }
            seeds = List.copyOf(seeds);
            if (seeds.isEmpty()) {
                throw new IllegalArgumentException("a Cassandra node needs at least one seed");
            }
            for (String seed : seeds) {
                String[] parts = seed.split(":", -1);
                if (parts.length > 2
                        || !ADDRESS.matcher(parts[0]).matches()
                        || (parts.length == 2 && !parts[1].matches("[1-9][0-9]{0,4}"))) {
                    throw new IllegalArgumentException("not a seed (ADDRESS or ADDRESS:PORT): " + seed);
                }
            }
            for (String name : extra.keySet()) {
                if (!SETTING.matcher(name).matches()) {
                    throw new IllegalArgumentException("not the name of a cassandra.yaml setting: " + name);
                }
                if (FORKRUNNERS.contains(name)) {
                    throw new IllegalArgumentException(
                            "cassandra.yaml setting " + name + " is forkrunner's to set for each node");
                }
            }
            extra = Map.copyOf(extra);
        }
    }

    private final ProcessRunner runner;
    private final Path home;
    private final Path directory;
    private final Settings settings;

    /** A node with {@code settings} in {@code directory}, from the Cassandra home {@code home}, run by {@code runner}. */
    public CassandraNode(ProcessRunner runner, Path home, Path directory, Settings settings) {
        this.runner = runner;
        this.home = home.toAbsolutePath().normalize();
        this.directory = directory.toAbsolutePath().normalize();
        this.settings = settings;
    }

    public static ServiceUser serviceUser() {
        return ServiceUser.whenRoot(SERVICE_USER);
    }

    /** The home forkrunner's nodes run from: the one {@value #HOME_VARIABLE} names, else the assembled one. */
    public static Path home() {
        String named = System.getenv(HOME_VARIABLE);
        return Path.of(named == null || named.isBlank() ? ASSEMBLED_HOME : named)
                .toAbsolutePath()
                .normalize();
    }

    /** The version of the home's Cassandra, from its server's jar, as one number ({@code 500} for 5.0). */
    static int installedVersion() {
        Path lib = home().resolve("lib");
        try (Stream<Path> jars = Files.list(lib)) {
            return jars.map(jar -> jar.getFileName().toString())
                    .filter(name -> name.matches("cassandra-all-[0-9.]+\\.jar"))
                    .map(name -> MajorMinor.number(name.substring("cassandra-all-".length()), "Cassandra"))
                    .findFirst()
                    .orElseThrow(() -> new ForkrunnerException("no Cassandra server jar in " + lib));
        } catch (IOException e) {
            throw new ForkrunnerException("no Cassandra home in " + home() + " (" + e.getMessage()
                    + "): assemble one with mvn -f src/cassandra/pom.xml package, or name one with " + HOME_VARIABLE);
        }
    }

    /**
     * {@code count} tokens that share the Murmur3 ring evenly, the first at the ring's start: one for each of
     * {@code count} nodes, or several for each node's virtual nodes.
     */
    public static List<String> spreadTokens(int count) {
        if (count < 1) {
            throw new IllegalArgumentException("a ring has at least one token, not " + count);
        }
        BigInteger start = BigInteger.valueOf(Long.MIN_VALUE);
        BigInteger step = BigInteger.TWO.pow(64).divide(BigInteger.valueOf(count));
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            tokens.add(start.add(step.multiply(BigInteger.valueOf(i))).toString());
        }
        return tokens;
    }

    public Settings settings() {
        return settings;
    }

    public Path directory() {
        return directory;
    }

    Path configFile() {
        return directory.resolve("conf").resolve("cassandra.yaml");
    }

    Path pidFile() {
        return directory.resolve("run").resolve("cassandra.pid");
    }

    Path log() {
        return directory.resolve("logs").resolve("node.out");
    }

    /**
     * Creates the node's directories, the service user's alone, and writes its configuration from its
     * {@link Settings}. Refused while it runs.
     */
    public void configure() {
        requireStopped("configure");
        ServiceUser user = runner.serviceUser();
        user.privateDirectory(directory);
        for (String each : DIRECTORIES) {
            user.privateDirectory(directory.resolve(each));
        }
        user.write(configFile(), yaml());
        user.write(
                directory.resolve("conf").resolve(RACK_FILE),
                "# written by forkrunner\ndc=" + settings.datacenter() + "\nrack=" + settings.rack() + "\n");
        user.write(directory.resolve("conf").resolve("logback.xml"), LOGBACK);
    }

    /** The node's {@code cassandra.yaml}: every value quoted, so that none can change the file's structure. */
    String yaml() {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("cluster_name", settings.cluster());
        values.put("num_tokens", String.valueOf(settings.tokens().size()));
        values.put("initial_token", String.join(",", settings.tokens()));
        values.put("endpoint_snitch", "GossipingPropertyFileSnitch");
        values.put("auto_bootstrap", "false");
        values.put("authenticator", "PasswordAuthenticator");
        values.put("authorizer", "CassandraAuthorizer");
        values.put("role_manager", "CassandraRoleManager");
        values.put("listen_address", settings.address());
        values.put("rpc_address", settings.address());
        values.put("storage_port", String.valueOf(settings.storagePort()));
        values.put("native_transport_port", String.valueOf(settings.nativePort()));
        values.put("commitlog_directory", place("commitlog"));
        values.put("saved_caches_directory", place("saved_caches"));
        values.put("hints_directory", place("hints"));
        values.put("cdc_raw_directory", place("cdc_raw"));
        Map<String, String> chosen = new TreeMap<>(DEFAULTS);
        chosen.putAll(settings.extra());
        values.putAll(chosen);
        StringBuilder yaml = new StringBuilder("# written by forkrunner\n");
        values.forEach((name, value) ->
                yaml.append(name).append(": ").append(quote(value)).append('\n'));
        yaml.append("data_file_directories:\n  - ").append(quote(place("data"))).append('\n');
        yaml.append("seed_provider:\n");
        yaml.append("  - class_name: ")
                .append(quote("org.apache.cassandra.locator.SimpleSeedProvider"))
                .append('\n');
        yaml.append("    parameters:\n");
        yaml.append("      - seeds: ")
                .append(quote(String.join(",", settings.seeds())))
                .append('\n');
        return yaml.toString();
    }

    private static Map<String, String> defaults() {
        Map<String, String> defaults = new TreeMap<>();
        defaults.put("partitioner", "org.apache.cassandra.dht.Murmur3Partitioner");
        defaults.put("commitlog_sync", "periodic");
        defaults.put("commitlog_sync_period", "10000ms");
        defaults.put("commitlog_segment_size", "8MiB");
        defaults.put("memtable_heap_space", "64MiB");
        defaults.put("memtable_offheap_space", "64MiB");
        defaults.put("key_cache_size", "8MiB");
        return Map.copyOf(defaults);
    }

    private String place(String subdirectory) {
        return directory.resolve(subdirectory).toString();
    }

    /**
     * Starts the node as {@link #configure}d, and waits until its CQL native transport answers on its address and it
     * reports itself {@code NORMAL} through JMX.
     */
    public void start() {
        requireStopped("start");
        Path options = home.resolve(JVM_OPTIONS_FILE);
        if (!Files.isDirectory(home.resolve("lib")) || !Files.isRegularFile(options)) {
            throw new ForkrunnerException("no Cassandra home in " + home + " (lib/ and " + JVM_OPTIONS_FILE
                    + "): assemble one with mvn -f src/cassandra/pom.xml package, or name one with " + HOME_VARIABLE);
        }
        if (!Files.isRegularFile(configFile())) {
            throw new ForkrunnerException(
                    "cannot start " + what() + ": it is not configured (no " + configFile() + ")");
        }
        List<String> argv = new ArrayList<>();
        argv.add(java());
        argv.addAll(homeOptions(options));
        argv.addAll(List.of("-Xms512m", "-Xmx512m", "-XX:+ExitOnOutOfMemoryError"));
        argv.addAll(javaOptions()); // after forkrunner's: the JVM takes the last of each
        String jmxPort = String.valueOf(settings.jmxPort());
        argv.addAll(List.of(
                "-Djava.io.tmpdir=" + directory.resolve("tmp"),
                configProperty(),
                "-D" + RACK_FILE + "="
                        + directory.resolve("conf").resolve(RACK_FILE).toUri(),
                "-Dlogback.configurationFile=" + directory.resolve("conf").resolve("logback.xml"),
                "-Dcassandra-foreground=yes",
                // the daemon removes it when it ends; forkrunner writes it, as Cassandra's own scripts do
                "-Dcassandra-pidfile=" + pidFile(),
                "-Dcassandra.jmx.local.port=" + jmxPort,
                "-Dcom.sun.management.jmxremote.rmi.port=" + jmxPort,
                "-Dcassandra.logdir=" + directory.resolve("logs"),
                "-Dcassandra.storagedir=" + directory,
                "-cp",
                home.resolve("lib") + "/*",
                DAEMON));
        ChildProcess node = runner.start(Command.of(argv).asServiceUser().loggingTo(log()));
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        OptionalLong jvm = OptionalLong.empty();
        while (jvm.isEmpty() || !answers() || !normal()) {
            if (jvm.isEmpty()) {
                jvm = jvm(node);
                if (jvm.isPresent()) {
                    runner.serviceUser().write(pidFile(), jvm.getAsLong() + "\n");
                }
            }
            if (!node.isAlive()) {
                throw new ForkrunnerException(what() + " stopped before it served.\nLog " + log() + ":\n  "
                        + String.join("\n  ", ServerProcess.lastLines(log(), 20)));
            }
            if (System.nanoTime() > deadline) {
                node.end();
                throw new ForkrunnerException(
                        what() + " did not serve within " + START_TIMEOUT + "; it was ended. See its log " + log());
            }
            pause();
        }
    }

    /**
     * The command line of a JVM running one of the home's tools, {@code mainClass} (the bulk loader), as Cassandra's own
     * scripts run them: the home's JDK 17 options, then {@code properties} ({@code -Dname=value} each), its {@code lib/}
     * and the class.
     */
    static List<String> tool(List<String> properties, String mainClass) {
        Path home = home();
        List<String> argv = new ArrayList<>();
        argv.add(java());
        argv.addAll(homeOptions(home.resolve(JVM_OPTIONS_FILE)));
        argv.addAll(properties);
        argv.addAll(List.of("-cp", home.resolve("lib") + "/*", mainClass));
        return argv;
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private String configProperty() {
        return "-Dcassandra.config=" + configFile().toUri();
    }

    /**
     * The JVM options of the home's options file: its lines that start with {@code -}, an option and its value
     * separated by a space ({@code --add-opens MODULE/PACKAGE=ALL-UNNAMED}) as two arguments.
     */
    private static List<String> homeOptions(Path file) {
        try (Stream<String> lines = Files.lines(file)) {
            return lines.map(String::strip)
                    .filter(line -> line.startsWith("-"))
                    .flatMap(line -> Stream.of(line.split("\\s+")))
                    .toList();
        } catch (IOException e) {
            throw new ForkrunnerException("cannot read the JVM options in " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The JVM options {@value #JAVA_OPTIONS} adds to forkrunner's for its nodes, separated by spaces: e.g. a larger heap
     * ({@code -Xms2g -Xmx2g}).
     */
    private static List<String> javaOptions() {
        String options = System.getenv(JAVA_OPTIONS);
        return options == null || options.isBlank()
                ? List.of()
                : List.of(options.strip().split("\\s+"));
    }

    /** The node's JVM: the started process itself, or the one {@code runuser} started as the service user. */
    private OptionalLong jvm(ChildProcess started) {
        return ProcessHandle.of(started.pid())
                .map(process -> Stream.concat(Stream.of(process), process.descendants()))
                .orElse(Stream.empty())
                .mapToLong(ProcessHandle::pid)
                .filter(this::isThisNode)
                .findFirst();
    }

    /** Whether process {@code pid} is a JVM (not the {@code runuser} before it) started with this node's configuration. */
    private boolean isThisNode(long pid) {
        List<String> argv = ServerProcess.commandLine(pid);
        return !argv.isEmpty()
                && Path.of(argv.get(0)).getFileName().toString().equals("java")
                && argv.contains(configProperty());
    }

    /** Whether the node's CQL native transport accepts a connection on its address. */
    private boolean answers() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(settings.address(), settings.nativePort()), 2000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Whether the node says, through JMX, that it has joined its ring and serves. */
    private boolean normal() {
        try (CassandraJmx jmx = jmx()) {
            return "NORMAL".equals(jmx.operationMode());
        } catch (ForkrunnerException notYet) {
            return false;
        }
    }

    /** A JMX connection to the running node; close it when done. */
    public CassandraJmx jmx() {
        return CassandraJmx.connect(JMX_HOST, settings.jmxPort(), what());
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
     * The pid of this node's running JVM: the pid file's, when that process lives and is a JVM started with this
     * node's configuration; else any running JVM started with this node's configuration.
     */
    public OptionalLong pid() {
        OptionalLong recorded = ServerProcess.running(pidFile(), this::isThisNode);
        if (recorded.isPresent()) {
            return recorded;
        }
        // a JVM started by a forkrunner that was killed before it wrote the pid file: found by its configuration
        return ProcessHandle.allProcesses()
                .mapToLong(ProcessHandle::pid)
                .filter(this::isThisNode)
                .findFirst();
    }

    private void requireStopped(String what) {
        if (isRunning()) {
            throw new ForkrunnerException(
                    "cannot " + what + " " + what() + ": it runs (pid " + pid().getAsLong() + "); stop it first");
        }
    }

    private String what() {
        return "the Cassandra node " + settings.address() + " in " + directory;
    }

    /**
     * A YAML scalar in double quotes: quotes and backslashes escaped, and every character YAML does not print (line
     * breaks, controls) as a {@code \\u} escape, so that no value can end the scalar or the line.
     */
    static String quote(String value) {
        StringBuilder quoted = new StringBuilder("\"");
        value.codePoints().forEach(c -> {
            if (c == '"' || c == '\\') {
                quoted.append('\\').appendCodePoint(c);
            } else if (c < 0x20
                    || (c >= 0x7f && c < 0xa0)
                    || c == 0x2028
                    || c == 0x2029
                    || c == 0xfeff
                    || (c >= 0xd800 && c <= 0xdfff)
                    || c == 0xfffe
                    || c == 0xffff) {
                quoted.append(String.format("\\u%04x", c));
            } else {
                quoted.appendCodePoint(c);
            }
        });
        return quoted.append('"').toString();
    }

    private static void pause() {
        ServerProcess.pause(POLL, "a Cassandra node");
    }
}
