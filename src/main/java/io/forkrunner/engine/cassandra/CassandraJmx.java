package io.forkrunner.engine.cassandra;

import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.Secret;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import javax.management.MBeanException;
import javax.management.MBeanServerConnection;
import javax.management.MalformedObjectNameException;
import javax.management.ObjectName;
import javax.management.ReflectionException;
import javax.management.RuntimeErrorException;
import javax.management.RuntimeMBeanException;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

/**
 * Forkrunner's JMX connection to one Cassandra node: what {@code nodetool} would do (flush, snapshot, import sstables,
 * ask for the ring), in milliseconds instead of a JVM start per call. It calls the node's MBeans by name with JDK types
 * only: no Cassandra class is on forkrunner's classpath. Every failure names the node and the operation, and no call
 * waits for ever: a node that does not answer within {@link #ANSWER} (or finish its work within {@link #WORK}) fails the
 * call, as does a stop asked meanwhile.
 */
public final class CassandraJmx implements Closeable {

    private static final ObjectName STORAGE_SERVICE = objectName("org.apache.cassandra.db:type=StorageService");
    private static final ObjectName SNITCH = objectName("org.apache.cassandra.db:type=EndpointSnitchInfo");
    /** Cassandra's own rule for keyspace and table names; such a name is safe inside an MBean's name. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_]{1,48}");
    /** A snapshot's tag becomes a directory name in the node's data directories. */
    private static final Pattern TAG = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,99}");

    private static final String STRING = String.class.getName();
    private static final String STRINGS = String[].class.getName();

    /** How long a node may take to connect or to answer a question: a node that lets it pass is hung. */
    static final Duration ANSWER = Duration.ofMinutes(2);
    /** How long a node may take over work: a flush, a snapshot, an import of a table's files. */
    static final Duration WORK = Duration.ofHours(6);

    private final String node;
    private final JMXConnector connector;
    private final MBeanServerConnection server;
    private final Duration answer;
    private final Duration work;

    private CassandraJmx(
            String node, JMXConnector connector, MBeanServerConnection server, Duration answer, Duration work) {
        this.node = node;
        this.connector = connector;
        this.server = server;
        this.answer = answer;
        this.work = work;
    }

    /**
     * The login a node's JMX asks for: a user and its password. It goes to the node only, in the connection's
     * credentials, and never into a message.
     */
    public record Login(String user, Secret password) {

        public Login {
            Objects.requireNonNull(user, "user");
            Objects.requireNonNull(password, "password");
        }
    }

    /** Connects to the JMX of {@code node} (its name in messages), which listens on {@code host}:{@code port}. */
    public static CassandraJmx connect(String host, int port, String node) {
        return connect(host, port, node, null, ANSWER, WORK);
    }

    /** As {@link #connect(String, int, String)}, logging in as {@code login} when it is not null. */
    public static CassandraJmx connect(String host, int port, String node, Login login) {
        return connect(host, port, node, login, ANSWER, WORK);
    }

    /**
     * As {@link #connect(String, int, String, Login)}, waiting at most {@code answer} for the connection and for each
     * answer, and at most {@code work} for each piece of work; past either the connection is closed and the call fails.
     * A node that asks for a login it is not given, or refuses the one given, fails the connection saying so.
     */
    static CassandraJmx connect(String host, int port, String node, Login login, Duration answer, Duration work) {
        String operation = "reach the JMX of " + node + " on " + host + ":" + port;
        AtomicBoolean abandoned = new AtomicBoolean();
        Map<String, Object> environment = new HashMap<>();
        if (login != null) {
            environment.put(
                    JMXConnector.CREDENTIALS,
                    new String[] {login.user(), login.password().reveal()});
        }
        JMXConnector connector;
        try {
            connector = timed(
                    operation,
                    answer,
                    null,
                    () -> {
                        JMXConnector made = JMXConnectorFactory.connect(
                                new JMXServiceURL("service:jmx:rmi:///jndi/rmi://" + host + ":" + port + "/jmxrmi"),
                                environment);
                        if (abandoned.get()) { // connected after the caller gave up: nobody will close it but here
                            closeQuietly(made);
                        }
                        return made;
                    },
                    () -> abandoned.set(true));
        } catch (ForkrunnerException e) {
            if (!(e.getCause() instanceof SecurityException refused)) {
                throw e;
            }
            throw new ForkrunnerException(
                    "cannot " + operation + ": "
                            + (login == null
                                    ? "it asks for a login (" + refused.getMessage() + "): declare the service's"
                                            + " jmx: { user, password } in config/services.yml"
                                    : "it refused the login of JMX user " + login.user() + " ("
                                            + refused.getMessage() + "): check the service's jmx: { user,"
                                            + " password } in config/services.yml against the nodes' JMX password"
                                            + " file"),
                    refused);
        }
        try {
            return new CassandraJmx(node, connector, connector.getMBeanServerConnection(), answer, work);
        } catch (IOException | RuntimeException e) {
            closeQuietly(connector);
            throw new ForkrunnerException("cannot " + operation + ": " + reason(e), e);
        }
    }

    /** The node's operation mode: {@code NORMAL} once it has joined its ring and serves. */
    public String operationMode() {
        return (String) attribute("OperationMode", "read the operation mode");
    }

    /** The tokens the node owns. */
    @SuppressWarnings("unchecked")
    public List<String> tokens() {
        return List.copyOf((List<String>) attribute("Tokens", "read the tokens"));
    }

    /** The addresses of the nodes this node sees alive, itself among them. */
    @SuppressWarnings("unchecked")
    public List<String> liveNodes() {
        return List.copyOf((List<String>) attribute("LiveNodes", "read the live nodes"));
    }

    /** The addresses of the nodes this node sees joining the ring. */
    @SuppressWarnings("unchecked")
    public List<String> joiningNodes() {
        return List.copyOf((List<String>) attribute("JoiningNodes", "read the joining nodes"));
    }

    /** The addresses of the nodes this node cannot reach. */
    @SuppressWarnings("unchecked")
    public List<String> unreachableNodes() {
        return List.copyOf((List<String>) attribute("UnreachableNodes", "read the unreachable nodes"));
    }

    /** The ring as this node knows it: each token of a node that has joined, and that node's address. */
    @SuppressWarnings("unchecked")
    public Map<String, String> ring() {
        return Map.copyOf((Map<String, String>) attribute("TokenToEndpointMap", "read the ring"));
    }

    /** The data center the node says it is in. */
    public String datacenter() {
        return (String) attribute(SNITCH, "Datacenter", "read the data center");
    }

    /** The rack the node says it is in. */
    public String rack() {
        return (String) attribute(SNITCH, "Rack", "read the rack");
    }

    /** The node's data directories, where each table keeps its sstables and snapshots. */
    public List<Path> dataFileLocations() {
        String[] locations = (String[]) attribute("AllDataFileLocations", "read the data file locations");
        return Arrays.stream(locations).map(Path::of).toList();
    }

    /**
     * How many writes (inserts, updates and deletes alike) this node has applied to {@code keyspace.table} since it
     * started: the count of the table's write latency metric.
     */
    public long writes(String keyspace, String table) {
        String operation = "read the writes to " + keyspace + "." + table;
        ObjectName metric = objectName("org.apache.cassandra.metrics:type=Table,keyspace=" + name(keyspace, operation)
                + ",scope=" + name(table, operation) + ",name=WriteLatency");
        return ((Number) attribute(metric, "Count", operation)).longValue();
    }

    /** Writes every memtable of {@code keyspace} to sstables. */
    public void flush(String keyspace) {
        String operation = "flush keyspace " + keyspace;
        invoke(
                STORAGE_SERVICE,
                "forceKeyspaceFlush",
                new Object[] {name(keyspace, operation), new String[0]},
                new String[] {STRING, STRINGS},
                operation);
    }

    /**
     * Takes snapshot {@code tag} of {@code keyspaces}, flushing them first: hard links to their sstables, with a
     * manifest and each table's schema, under each table's {@code snapshots/TAG}.
     */
    public void snapshot(String tag, List<String> keyspaces) {
        String operation = "take snapshot " + tag + " of " + keyspaces;
        invoke(
                STORAGE_SERVICE,
                "takeSnapshot",
                new Object[] {tag(tag, operation), new HashMap<String, String>(), names(keyspaces, operation)},
                new String[] {STRING, Map.class.getName(), STRINGS},
                operation);
    }

    /** Removes snapshot {@code tag} of {@code keyspaces}. */
    public void clearSnapshot(String tag, List<String> keyspaces) {
        String operation = "clear snapshot " + tag + " of " + keyspaces;
        invoke(
                STORAGE_SERVICE,
                "clearSnapshot",
                new Object[] {tag(tag, operation), names(keyspaces, operation)},
                new String[] {STRING, STRINGS},
                operation);
    }

    /**
     * Loads the sstables in {@code directories} into table {@code keyspace.table}, verifying them and that the node owns
     * their tokens. Each directory must be named for the table ({@code TABLE} or {@code TABLE-ID}) inside one named
     * for its keyspace, as in a data directory: Cassandra takes only the sstables whose path names the table. Cassandra
     * copies the files in: the directories are left as they were. Fails when any directory could not be imported.
     */
    @SuppressWarnings("unchecked")
    public void importSSTables(String keyspace, String table, List<Path> directories) {
        String operation = "import sstables into " + keyspace + "." + table + " from " + directories;
        ObjectName tables = objectName("org.apache.cassandra.db:type=Tables,keyspace=" + name(keyspace, operation)
                + ",table=" + name(table, operation));
        Set<String> sources = new HashSet<>();
        for (Path directory : directories) {
            Path path = directory.toAbsolutePath().normalize();
            String name = path.getFileName().toString();
            if (!(name.equals(table) || name.startsWith(table + "-"))
                    || path.getParent() == null
                    || !path.getParent().getFileName().toString().equals(keyspace)) {
                throw new ForkrunnerException("cannot " + operation + " on " + node + ": " + path + " is not named "
                        + keyspace + "/" + table + " (or " + keyspace + "/" + table
                        + "-ID), and Cassandra would find no sstables of the table in it");
            }
            sources.add(path.toString());
        }
        // Cassandra 5.0's ColumnFamilyStoreMBean.importNewSSTables(srcPaths, resetLevel, clearRepaired,
        // verifySSTables, verifyTokens, invalidateCaches, extendedVerify, copyData, failOnMissingIndex,
        // validateIndexChecksum)
        Object[] arguments = {sources, true, true, true, true, true, false, true, false, true};
        String[] signature = new String[arguments.length];
        Arrays.fill(signature, "boolean");
        signature[0] = Set.class.getName();
        List<String> failed = (List<String>) invoke(tables, "importNewSSTables", arguments, signature, operation);
        if (!failed.isEmpty()) {
            throw new ForkrunnerException(
                    "cannot " + operation + " on " + node + ": it failed for " + failed + "; the node's log says why");
        }
    }

    private Object attribute(String name, String operation) {
        return attribute(STORAGE_SERVICE, name, operation);
    }

    private Object attribute(ObjectName bean, String name, String operation) {
        return timed(operation + " on " + node, answer, connector, () -> server.getAttribute(bean, name), () -> {});
    }

    private Object invoke(
            ObjectName bean, String operationName, Object[] arguments, String[] signature, String operation) {
        return timed(
                operation + " on " + node,
                work,
                connector,
                () -> server.invoke(bean, operationName, arguments, signature),
                () -> {});
    }

    /**
     * Runs {@code call} on a thread of its own and waits at most {@code limit} for it: a hung node, or a stop asked
     * meanwhile, closes {@code connector} (when there is one) and fails the call, after {@code abandon} ran.
     */
    private static <T> T timed(
            String operation, Duration limit, JMXConnector connector, Callable<T> call, Runnable abandon) {
        FutureTask<T> task = new FutureTask<>(call);
        Thread thread = new Thread(task, "jmx: " + operation);
        thread.setDaemon(true);
        thread.start();
        try {
            return task.get(limit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            abandon.run();
            closeBehind(connector);
            throw new ForkrunnerException("cannot " + operation + ": no answer within " + limit.toSeconds() + " s"
                    + (connector == null ? "" : "; the JMX connection was closed")
                    + ". Is the node hung (its log, a thread dump)?");
        } catch (InterruptedException e) {
            abandon.run();
            closeBehind(connector);
            Thread.currentThread().interrupt();
            throw new ForkrunnerException("cannot " + operation + ": it was stopped", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw new ForkrunnerException(
                    "cannot " + operation + ": "
                            + (cause instanceof Exception failed ? reason(failed) : String.valueOf(cause)),
                    cause);
        }
    }

    /**
     * Closes {@code connector} on a thread of its own, not waited for: closing tells the node, and a node that did not
     * answer may not answer that either.
     */
    private static void closeBehind(JMXConnector connector) {
        if (connector != null) {
            Thread closer = new Thread(() -> closeQuietly(connector), "jmx: close");
            closer.setDaemon(true);
            closer.start();
        }
    }

    private static void closeQuietly(JMXConnector connector) {
        if (connector != null) {
            try {
                connector.close();
            } catch (IOException ignored) {
                // the node went away: the connection went with it
            }
        }
    }

    /** What went wrong in the node, not the JMX wrapping around it. */
    private static String reason(Exception e) {
        Throwable cause = e;
        while ((cause instanceof MBeanException
                        || cause instanceof ReflectionException
                        || cause instanceof RuntimeMBeanException
                        || cause instanceof RuntimeErrorException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause.getMessage() == null ? cause.getClass().getName() : cause.getMessage();
    }

    private String name(String name, String operation) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new ForkrunnerException("cannot " + operation + " on " + node + ": '" + name
                    + "' is not a keyspace or table name (letters, digits and _, at most 48)");
        }
        return name;
    }

    private String[] names(List<String> names, String operation) {
        return names.stream().map(name -> name(name, operation)).toArray(String[]::new);
    }

    private String tag(String tag, String operation) {
        if (tag == null || !TAG.matcher(tag).matches()) {
            throw new ForkrunnerException("cannot " + operation + " on " + node + ": '" + tag
                    + "' is not a snapshot tag (letters, digits, _, . and -, at most 100)");
        }
        return tag;
    }

    private static ObjectName objectName(String name) {
        try {
            return new ObjectName(name);
        } catch (MalformedObjectNameException e) {
            throw new IllegalArgumentException(name, e);
        }
    }

    /** Closes the connection, waiting at most {@link #ANSWER} for the node to take note. */
    @Override
    public void close() {
        try {
            timed(
                    "close the JMX connection to " + node,
                    answer,
                    null,
                    () -> {
                        closeQuietly(connector);
                        return null;
                    },
                    () -> {});
        } catch (ForkrunnerException e) {
            // a node that does not take note in time is left behind: the close goes on on its own thread
        }
    }
}
