package io.forkrunner.engine.cassandra;

import com.datastax.oss.driver.api.core.CqlIdentifier;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.CqlSessionBuilder;
import com.datastax.oss.driver.api.core.DriverTimeoutException;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.cql.ResultSet;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.datastax.oss.driver.api.core.loadbalancing.NodeDistance;
import com.datastax.oss.driver.api.core.metadata.EndPoint;
import com.datastax.oss.driver.api.core.metadata.NodeState;
import com.datastax.oss.driver.api.core.metadata.schema.IndexMetadata;
import com.datastax.oss.driver.api.core.metadata.schema.KeyspaceMetadata;
import com.datastax.oss.driver.api.core.metadata.schema.TableMetadata;
import com.datastax.oss.driver.api.core.metadata.schema.ViewMetadata;
import com.datastax.oss.driver.api.core.servererrors.QueryExecutionException;
import com.datastax.oss.driver.api.core.ssl.SslEngineFactory;
import com.datastax.oss.driver.api.core.type.DataType;
import com.datastax.oss.driver.api.core.type.ListType;
import com.datastax.oss.driver.api.core.type.MapType;
import com.datastax.oss.driver.api.core.type.SetType;
import com.datastax.oss.driver.api.core.type.TupleType;
import com.datastax.oss.driver.api.core.type.UserDefinedType;
import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.VerifiedTls;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.ServerProcess;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;

/**
 * A CQL session with a Cassandra cluster, through one of its nodes, as a login: what forkrunner reads a cluster's
 * schema, roles and rows with, and writes a fork's with. The driver learns the other nodes from the one it is given and
 * takes the data center of that one as its own.
 */
public final class CassandraCql implements AutoCloseable {

    /** Cassandra's own keyspaces, which every cluster makes for itself: never part of a backup's schema. */
    static final Set<String> SYSTEM_KEYSPACES = Set.of(
            "system",
            "system_schema",
            "system_auth",
            "system_distributed",
            "system_traces",
            "system_views",
            "system_virtual_schema");

    /** How long a statement may take: schema changes wait for every node to agree. */
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);

    private static final String MURMUR3 = "org.apache.cassandra.dht.Murmur3Partitioner";

    /** How long the nodes may take to agree on the schema after a change, beyond the driver's own wait. */
    private static final Duration SCHEMA_AGREEMENT = Duration.ofMinutes(3);

    /** How many ranges of the token ring a table's rows are counted in. */
    private static final int COUNT_RANGES = 32;

    /** 2^64 / COUNT_RANGES: the ring's tokens are the longs. */
    private static final long RANGE_WIDTH = -(Long.MIN_VALUE / COUNT_RANGES) * 2;

    /** How many times a range whose count failed is halved before counting gives up. */
    private static final int COUNT_HALVINGS = 8;

    /** How many counts of one table may fail before counting gives up. */
    private static final int COUNT_FAILURES = 16;

    /** The rows a node reads at a time while it counts. */
    private static final int COUNT_PAGE = 1000;

    private final CqlSession session;
    private final String what;
    private final Endpoint login;
    private String partitioner;

    private CassandraCql(CqlSession session, String what, Endpoint login) {
        this.session = session;
        this.what = what;
        this.login = login;
    }

    /** The role the session logged in as. */
    String user() {
        return login.user();
    }

    /** The login the session came in with: its node, role and password. */
    Endpoint login() {
        return login;
    }

    /** A session with the cluster of the node at {@code endpoint}, logged in as its user. */
    public static CassandraCql open(Endpoint endpoint) {
        DriverConfigLoader config = DriverConfigLoader.programmaticBuilder()
                .withString(DefaultDriverOption.LOAD_BALANCING_POLICY_CLASS, "DcInferringLoadBalancingPolicy")
                .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, REQUEST_TIMEOUT)
                .withDuration(DefaultDriverOption.CONNECTION_INIT_QUERY_TIMEOUT, Duration.ofSeconds(10))
                .withDuration(DefaultDriverOption.CONTROL_CONNECTION_AGREEMENT_TIMEOUT, REQUEST_TIMEOUT)
                .withBoolean(DefaultDriverOption.METADATA_TOKEN_MAP_ENABLED, false)
                // a session ends once its statements have: without this, each close waits 2 s for none to come
                .withInt(DefaultDriverOption.NETTY_IO_SHUTDOWN_QUIET_PERIOD, 0)
                .withInt(DefaultDriverOption.NETTY_ADMIN_SHUTDOWN_QUIET_PERIOD, 0)
                .build();
        String what = "the Cassandra cluster at " + endpoint;
        try {
            InetSocketAddress contact = new InetSocketAddress(endpoint.host(), endpoint.port());
            CqlSessionBuilder session = CqlSession.builder()
                    .addContactPoint(contact)
                    .withAuthCredentials(
                            endpoint.user(),
                            endpoint.password() == null
                                    ? ""
                                    : endpoint.password().reveal())
                    .withConfigLoader(config);
            if (endpoint.certificateAuthority() != null) {
                session.withSslEngineFactory(
                                new VerifiedEngines(VerifiedTls.context(endpoint.certificateAuthority()), endpoint))
                        // the other nodes are known by their addresses only, which their certificates need not name
                        .withNodeDistanceEvaluator((node, datacenter) ->
                                contact.equals(node.getEndPoint().resolve()) ? null : NodeDistance.IGNORED);
            }
            return new CassandraCql(session.build(), what, endpoint);
        } catch (RuntimeException | IOException e) {
            throw new ForkrunnerException("cannot log in to " + what + ": " + e.getMessage());
        }
    }

    /**
     * TLS to the node at {@code endpoint}, whose certificate must be signed by the authority {@code context} trusts and
     * name the endpoint's host: the session reaches only that node ({@link VerifiedTls}).
     */
    private record VerifiedEngines(SSLContext context, Endpoint endpoint) implements SslEngineFactory {

        @Override
        public SSLEngine newSslEngine(EndPoint node) {
            SSLEngine engine = context.createSSLEngine(endpoint.host(), endpoint.port());
            engine.setUseClientMode(true);
            engine.setSSLParameters(VerifiedTls.verifying(engine.getSSLParameters(), endpoint.host()));
            return engine;
        }

        @Override
        public void close() {}
    }

    /**
     * A session with the cluster of the node at {@code endpoint}, retried until {@code limit} has passed: a new
     * cluster makes its first superuser some seconds after it starts.
     */
    public static CassandraCql openWhenReady(Endpoint endpoint, Duration limit) {
        return openWhenReady(List.of(endpoint), limit);
    }

    /** A session as the first of {@code logins} that works, each tried in turn until {@code limit} has passed. */
    static CassandraCql openWhenReady(List<Endpoint> logins, Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            for (Endpoint login : logins) {
                try {
                    return open(login);
                } catch (ForkrunnerException e) {
                    if (System.nanoTime() > deadline && login == logins.get(logins.size() - 1)) {
                        throw e;
                    }
                }
            }
            ServerProcess.pause(Duration.ofMillis(500), "the Cassandra cluster at " + logins.get(0));
        }
    }

    /** Runs one statement, its values bound to its {@code ?} markers; a failure names the statement's first line. */
    public List<Row> execute(String cql, Object... values) {
        return executeDescribed(firstLine(cql), cql, values);
    }

    /**
     * Runs one schema statement, then waits until every node has taken it (the driver waits a while, a loaded cluster
     * may take longer), so that the next statement finds what it made on whichever node coordinates it: an aggregate
     * its function, an import its table.
     */
    void changeSchema(String cql) {
        boolean agreed = executeAgreeing(cql) && everyNodeUp();
        long deadline = System.nanoTime() + SCHEMA_AGREEMENT.toNanos();
        while (!agreed) {
            if (System.nanoTime() > deadline) {
                throw new ForkrunnerException("on " + what + ": the nodes did not agree on the schema within "
                        + SCHEMA_AGREEMENT + " of " + firstLine(cql));
            }
            ServerProcess.pause(Duration.ofMillis(200), what);
            agreed = session.checkSchemaAgreement() && everyNodeUp();
        }
    }

    /**
     * Whether the driver holds every node it knows of as up: it leaves a node it holds as down out of its schema
     * agreement, and that node may still coordinate the next statement once it is back.
     */
    private boolean everyNodeUp() {
        return session.getMetadata().getNodes().values().stream()
                .filter(node -> node.getDistance() != NodeDistance.IGNORED)
                .allMatch(node -> node.getState() == NodeState.UP);
    }

    private boolean executeAgreeing(String cql) {
        try {
            return session.execute(SimpleStatement.newInstance(cql))
                    .getExecutionInfo()
                    .isSchemaInAgreement();
        } catch (RuntimeException e) {
            throw new ForkrunnerException("on " + what + ": " + firstLine(cql) + ": " + e.getMessage());
        }
    }

    /**
     * Runs one statement that holds something secret (a role's hash); a failure names it as {@code description}, never
     * by its text.
     */
    List<Row> executeDescribed(String description, String cql, Object... values) {
        try {
            ResultSet rows = session.execute(SimpleStatement.newInstance(cql, values));
            return rows.all();
        } catch (RuntimeException e) {
            throw new ForkrunnerException("on " + what + ": " + description + ": " + e.getMessage());
        }
    }

    /**
     * The CREATE statements of the cluster's own keyspaces (not Cassandra's system keyspaces), by keyspace: the keyspace
     * with its replication, then its user types (each after the types it uses), functions, aggregates, tables, indexes
     * and materialized views.
     */
    Map<String, List<String>> schema() {
        Map<String, List<String>> schema = new TreeMap<>();
        session.refreshSchema();
        for (KeyspaceMetadata keyspace : session.getMetadata().getKeyspaces().values()) {
            if (SYSTEM_KEYSPACES.contains(keyspace.getName().asInternal())) {
                continue;
            }
            List<String> statements = new ArrayList<>();
            statements.add(keyspace.describe(false));
            List<UserDefinedType> types =
                    new ArrayList<>(keyspace.getUserDefinedTypes().values());
            Set<CqlIdentifier> made = new HashSet<>();
            while (!types.isEmpty()) {
                UserDefinedType next = types.stream()
                        .filter(type -> made.containsAll(usedTypes(type)))
                        .findFirst()
                        .orElseThrow(() -> new ForkrunnerException("the user types of keyspace " + keyspace.getName()
                                + " on " + what + " use each other in a circle"));
                statements.add(next.describe(false));
                made.add(next.getName());
                types.remove(next);
            }
            keyspace.getFunctions().values().stream()
                    .map(function -> function.describe(false))
                    .sorted()
                    .forEach(statements::add);
            keyspace.getAggregates().values().stream()
                    .map(aggregate -> aggregate.describe(false))
                    .sorted()
                    .forEach(statements::add);
            for (TableMetadata table : byName(keyspace.getTables())) {
                statements.add(table.describe(false));
                for (IndexMetadata index : byName(table.getIndexes())) {
                    statements.add(index.describe(false));
                }
            }
            for (ViewMetadata view : byName(keyspace.getViews())) {
                statements.add(view.describe(false));
            }
            schema.put(keyspace.getName().asInternal(), statements);
        }
        return schema;
    }

    /** The tables of the cluster's own keyspaces, by keyspace, in order of name. */
    Map<String, List<String>> tables() {
        Map<String, List<String>> tables = new TreeMap<>();
        for (Row row : execute("SELECT keyspace_name, table_name FROM system_schema.tables")) {
            String keyspace = row.getString("keyspace_name");
            if (!SYSTEM_KEYSPACES.contains(keyspace)) {
                tables.computeIfAbsent(keyspace, name -> new ArrayList<>()).add(row.getString("table_name"));
            }
        }
        tables.values().forEach(names -> names.sort(null));
        return tables;
    }

    /**
     * The rows of a table, counted range by range of the token ring so that no single read covers a large table: a
     * range whose count fails or times out on a node is counted again in halves, down to a 256th of it, until 16
     * counts of the table have failed.
     */
    public long count(String keyspace, String table) {
        String from = CassandraRoles.identifier(keyspace) + "." + CassandraRoles.identifier(table);
        if (!MURMUR3.equals(partitioner())) {
            // the ranges below are Murmur3's; another partitioner's table is read whole
            return execute("SELECT COUNT(*) FROM " + from).get(0).getLong(0);
        }
        TableMetadata metadata = session.getMetadata()
                .getKeyspace(CqlIdentifier.fromInternal(keyspace))
                .flatMap(found -> found.getTable(CqlIdentifier.fromInternal(table)))
                .orElseThrow(() -> new ForkrunnerException("on " + what + ": there is no table " + from));
        String token = "token("
                + String.join(
                        ", ",
                        metadata.getPartitionKey().stream()
                                .map(column -> column.getName().asCql(true))
                                .toList())
                + ")";
        String cql = "SELECT COUNT(*) FROM " + from + " WHERE " + token + " > ? AND " + token + " <= ?";
        long rows = 0;
        long start = Long.MIN_VALUE;
        AtomicInteger failures = new AtomicInteger();
        for (int range = 1; range <= COUNT_RANGES; range++) {
            long end = range == COUNT_RANGES ? Long.MAX_VALUE : Long.MIN_VALUE + RANGE_WIDTH * range;
            rows += countRange(cql, from, start, end, COUNT_HALVINGS, failures);
            start = end;
        }
        return rows;
    }

    /** The rows of {@code table} whose tokens are in {@code (start, end]}. */
    private long countRange(String cql, String table, long start, long end, int halvings, AtomicInteger failures) {
        try {
            return session.execute(SimpleStatement.newInstance(cql, start, end).setPageSize(COUNT_PAGE))
                    .one()
                    .getLong(0);
        } catch (QueryExecutionException | DriverTimeoutException e) {
            if (halvings == 0 || failures.incrementAndGet() >= COUNT_FAILURES) {
                throw new ForkrunnerException("on " + what + ": cannot count the rows of " + table + " with tokens in ("
                        + start + ", " + end + "] (" + failures.get() + " counts of it failed): " + e.getMessage());
            }
            long middle = (start >> 1) + (end >> 1) + (start & end & 1);
            return countRange(cql, table, start, middle, halvings - 1, failures)
                    + countRange(cql, table, middle, end, halvings - 1, failures);
        } catch (RuntimeException e) {
            throw new ForkrunnerException("on " + what + ": cannot count the rows of " + table + ": " + e.getMessage());
        }
    }

    private String partitioner() {
        if (partitioner == null) {
            partitioner = execute("SELECT partitioner FROM system.local").get(0).getString(0);
        }
        return partitioner;
    }

    /** The version of the node the session came in through, e.g. {@code 5.0.9}. */
    String releaseVersion() {
        return execute("SELECT release_version FROM system.local").get(0).getString(0);
    }

    /** The values of {@code named} in order of their names. */
    private static <T> List<T> byName(Map<CqlIdentifier, T> named) {
        Map<String, T> sorted = new TreeMap<>();
        named.forEach((name, value) -> sorted.put(name.asInternal(), value));
        return List.copyOf(sorted.values());
    }

    /** The user types of the same keyspace that {@code type}'s fields use. */
    private static Set<CqlIdentifier> usedTypes(UserDefinedType type) {
        Set<CqlIdentifier> used = new HashSet<>();
        for (DataType field : type.getFieldTypes()) {
            collectTypes(field, used);
        }
        return used;
    }

    private static void collectTypes(DataType type, Set<CqlIdentifier> used) {
        if (type instanceof UserDefinedType udt) {
            used.add(udt.getName());
        } else if (type instanceof ListType list) {
            collectTypes(list.getElementType(), used);
        } else if (type instanceof SetType set) {
            collectTypes(set.getElementType(), used);
        } else if (type instanceof MapType map) {
            collectTypes(map.getKeyType(), used);
            collectTypes(map.getValueType(), used);
        } else if (type instanceof TupleType tuple) {
            tuple.getComponentTypes().forEach(component -> collectTypes(component, used));
        }
    }

    private static String firstLine(String cql) {
        String line = cql.strip().lines().findFirst().orElse("");
        return line.length() > 120 ? line.substring(0, 120) + "..." : line;
    }

    @Override
    public void close() {
        session.close();
    }
}
