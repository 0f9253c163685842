package io.forkrunner.engine.cassandra;

import io.forkrunner.engine.BackupLayDown;
import io.forkrunner.engine.CopyRate;
import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.PhysicalRestore;
import io.forkrunner.engine.Place;
import io.forkrunner.engine.Progress;
import io.forkrunner.engine.Restored;
import io.forkrunner.system.DirectoryTree;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.ServiceUser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import tools.jackson.databind.JsonNode;

/**
 * A Cassandra fork from a backup: a new cluster of as many nodes as the backup's, each with the tokens, data center and
 * rack of the source's node it stands for. Lay-down copies (or clones) each node's files of the backup beside that
 * node; recovery starts the nodes, creates the schema once, imports each node's files into its tables (from the
 * node's own copy: Cassandra reads them where it finds the table's name in their path), and recreates the roles with
 * their hashes and permissions. A fork of more nodes than the backup's has its own tokens spread evenly, and each
 * backup node's files are streamed to the nodes owning their rows by the bulk loader instead. Every node's lay-down, the
 * schema, each table's import (or load) of each node, and the roles are checkpoints: a restart after a kill does only
 * what is missing. The laid-down files are removed once the nodes hold their rows.
 */
final class CassandraRestore implements PhysicalRestore {

    /** The backup's record, copied at lay-down: what recovery restores. */
    static final String BACKUP = "backup.json";

    private static final String IMPORT = "import";
    /** Where a fork of more nodes than its backup's keeps each backup node's files for the bulk loader. */
    private static final String LOAD = "load";
    /** What the bulk loader said, kept in the fork's directory. */
    static final String LOADER_LOG = "loader.log";

    private static final String LAID_DOWN = "laid-down";
    private static final String SCHEMA_CREATED = "schema-created";
    private static final String ROLES_CREATED = "roles-created";
    private static final Duration LOGIN_LIMIT = Duration.ofMinutes(2);
    private static final Pattern CASSANDRA_NAME = Pattern.compile("[A-Za-z0-9_]{1,48}");

    private final CassandraEngine engine;

    CassandraRestore(CassandraEngine engine) {
        this.engine = engine;
    }

    @Override
    public String layDown(Path backup, Place place, long bytesPerSecond, Progress progress) {
        return layDown(backup, place, null, bytesPerSecond, progress);
    }

    /**
     * Copies each node's files of the backup beside the fork's node that stands for it, node by node; for a fork of
     * more nodes than the backup's, into {@code load/N} of the fork for the bulk loader.
     */
    @Override
    public String layDown(Path backup, Place place, Integer nodes, long bytesPerSecond, Progress progress) {
        if (Files.exists(place.directory().resolve(SCHEMA_CREATED), LinkOption.NOFOLLOW_LINKS)) {
            return null;
        }
        ServiceUser user = engine.runner().serviceUser();
        user.privateDirectory(place.directory());
        JsonNode record = CassandraBackups.record(backup);
        user.write(place.directory().resolve(BACKUP), record.toPrettyString() + "\n");
        JsonNode recorded = record.path(CassandraBackups.NODES);
        CassandraCluster cluster = CassandraCluster.layOut(
                engine, place, CassandraCluster.nodesFor(recorded, nodes), settingsFor(record.path("schema")));
        CopyRate rate = new CopyRate(bytesPerSecond);
        JsonNode tables = record.path("tables");
        List<String> ways = new ArrayList<>();
        long all = CassandraBackups.bytes(record);
        long before = 0; // the bytes of the tables laid down before the one being laid down
        for (int node = 1; node <= recorded.size(); node++) {
            Path directory = filesOf(place, cluster, recorded, node);
            user.privateDirectory(directory.getParent());
            user.privateDirectory(directory);
            JsonNode nodeFiles = recorded.path(node - 1).path("files");
            if (Files.exists(directory.resolve(LAID_DOWN), LinkOption.NOFOLLOW_LINKS)) {
                before += CassandraBackups.bytes(nodeFiles);
                continue;
            }
            Path files = backup.resolve(CassandraBackups.NODES).resolve(String.valueOf(node));
            for (String table : tables.propertyNames()) {
                Path copy = files.resolve(CassandraBackups.checkedName(table));
                if (Files.isDirectory(copy, LinkOption.NOFOLLOW_LINKS)) {
                    long earlier = before;
                    ways.add(new BackupLayDown(engine.runner())
                            .layDown(
                                    copy,
                                    importDirectory(directory, table, tables),
                                    directory,
                                    rate,
                                    (what, done, total) -> progress.report(what, earlier + done, all))
                            .description());
                }
                before += CassandraBackups.bytes(nodeFiles.path(table));
            }
            user.write(directory.resolve(LAID_DOWN), "laid down\n");
        }
        String way = ways.isEmpty()
                ? "none left: every node's files were laid down"
                : String.join(", ", new TreeSet<>(ways));
        return loading(cluster, recorded)
                ? way + ", for the bulk loader: a fork of " + cluster.size() + " nodes from a backup of "
                        + recorded.size()
                : way;
    }

    /**
     * What the fork's nodes need to take the backup's schema: user-defined functions enabled where it has functions,
     * as its source had them.
     */
    private static Map<String, String> settingsFor(JsonNode schema) {
        for (JsonNode keyspace : schema) {
            for (JsonNode statement : keyspace) {
                if (statement.asString().startsWith("CREATE FUNCTION ")) {
                    return Map.of("user_defined_functions_enabled", "true");
                }
            }
        }
        return Map.of();
    }

    /**
     * Whether the fork's cluster has more nodes than the backup's source had: its rows are then streamed to their
     * nodes by the bulk loader rather than imported node by node.
     */
    private static boolean loading(CassandraCluster cluster, JsonNode recorded) {
        return cluster.size() != recorded.size();
    }

    /**
     * Where the files of the backup's node {@code node} are laid down: in the directory of the fork's node that stands
     * for it, or, for the bulk loader, in {@code load/N} of the fork.
     */
    private static Path filesOf(Place place, CassandraCluster cluster, JsonNode recorded, int node) {
        return loading(cluster, recorded)
                ? place.directory().resolve(LOAD).resolve(String.valueOf(node))
                : cluster.nodeDirectory(node);
    }

    /**
     * Where node's copy of a table's files lies for its import: {@code import/tN/KEYSPACE/TABLE} in the node's
     * directory, since Cassandra imports only sstables whose path names their table. The names are the backup's,
     * held to Cassandra's own rule for them (letters, digits, underscores), which admits no separator or dot.
     */
    private static Path importDirectory(Path node, String table, JsonNode tables) {
        String keyspace = tables.path(table).path("keyspace").asString("");
        String name = tables.path(table).path("table").asString("");
        for (String each : List.of(keyspace, name)) {
            if (!CASSANDRA_NAME.matcher(each).matches()) {
                throw new ForkrunnerException("the backup names a keyspace or table " + each + ", which is not a"
                        + " Cassandra name (letters, digits and underscores)");
            }
        }
        return node.resolve(IMPORT)
                .resolve(CassandraBackups.checkedName(table))
                .resolve(keyspace)
                .resolve(name);
    }

    /**
     * Starts the fork's nodes, creates the backup's schema, imports each node's files into its tables, and makes the
     * fork's roles the backup's.
     */
    @Override
    public Restored recover(
            Place place, Path archive, String backupStart, Instant target, Endpoint admin, Progress progress) {
        ServiceUser user = engine.runner().serviceUser();
        JsonNode record = CassandraBackups.JSON.readTree(
                ServiceUser.readIfExists(place.directory().resolve(BACKUP)));
        CassandraCluster cluster = CassandraCluster.at(engine, place);
        cluster.start();
        Path rolesCreated = place.directory().resolve(ROLES_CREATED);
        boolean ownLogins = Files.exists(rolesCreated, LinkOption.NOFOLLOW_LINKS);
        // before the roles are the backup's, the new cluster's own superuser; a run killed as it recreated them
        // finds the source's login working already
        List<Endpoint> logins = ownLogins
                ? List.of(cluster.endpoint(admin))
                : List.of(cluster.defaultSuperuser(), cluster.endpoint(admin));
        try (CassandraCql cql = CassandraCql.openWhenReady(logins, LOGIN_LIMIT)) {
            Path schemaCreated = place.directory().resolve(SCHEMA_CREATED);
            if (!Files.exists(schemaCreated, LinkOption.NOFOLLOW_LINKS)) {
                JsonNode schema = record.path("schema");
                for (String keyspace : schema.propertyNames()) {
                    for (JsonNode statement : schema.path(keyspace)) {
                        cql.changeSchema(ifNotExists(statement.asString()));
                    }
                }
                user.write(schemaCreated, "schema of " + schema.size() + " keyspaces created\n");
            }
            JsonNode recorded = record.path(CassandraBackups.NODES);
            if (loading(cluster, recorded)) {
                load(place, cluster, record, cql.login(), progress);
            } else {
                importEachNode(place, cluster, record, progress);
            }
            if (!ownLogins) {
                CassandraRoles.recreate(cql, record.path("roles"), cql.user());
                user.write(rolesCreated, "roles of the backup created\n");
            }
        }
        if (!record.path("roles").has(CassandraRoles.DEFAULT_SUPERUSER)) {
            // the new cluster's own superuser, which the source did not have: dropped as the source's login
            try (CassandraCql cql = CassandraCql.openWhenReady(cluster.endpoint(admin), LOGIN_LIMIT)) {
                cql.execute("DROP ROLE IF EXISTS " + CassandraRoles.identifier(CassandraRoles.DEFAULT_SUPERUSER));
            }
        }
        // a node goes on taking the passwords it checked before the roles were recreated for a while (its
        // credentials_validity): the source's login is awaited on each, so that the next steps log in at once
        for (int node = 1; node <= cluster.size(); node++) {
            CassandraCql.openWhenReady(cluster.endpoint(node, admin), LOGIN_LIMIT)
                    .close();
        }
        // every node holds its rows in its own data now: the files laid down for the import or the loader go
        DirectoryTree.deleteUnder(place.directory(), place.directory().resolve(LOAD));
        for (int node = 1; node <= cluster.size(); node++) {
            DirectoryTree.deleteUnder(
                    place.directory(), cluster.nodeDirectory(node).resolve(IMPORT));
        }
        return new Restored(1, true, 0);
    }

    /** Imports each node's files of each table into the fork's node that stands for the backup's, through JMX. */
    private void importEachNode(Place place, CassandraCluster cluster, JsonNode record, Progress progress) {
        ServiceUser user = engine.runner().serviceUser();
        JsonNode recorded = record.path(CassandraBackups.NODES);
        JsonNode tables = record.path("tables");
        int total = cluster.size() * tables.size();
        int done = 0;
        for (int node = 1; node <= cluster.size(); node++) {
            Path directory = filesOf(place, cluster, recorded, node);
            for (String table : tables.propertyNames()) {
                Path imported = directory.resolve("imported-" + CassandraBackups.checkedName(table));
                Path files = importDirectory(directory, table, tables);
                if (!Files.exists(imported, LinkOption.NOFOLLOW_LINKS) && hasFiles(files)) {
                    try (CassandraJmx jmx = cluster.jmx(node)) {
                        jmx.importSSTables(
                                tables.path(table).path("keyspace").asString(),
                                tables.path(table).path("table").asString(),
                                List.of(files));
                    }
                }
                user.write(imported, "imported\n");
                progress.report("tables imported", ++done, total);
            }
        }
    }

    /**
     * Streams each of the backup's nodes' files of each table to the fork's nodes that own their rows, through the
     * bulk loader, logged in as {@code login}. Each node's table is a checkpoint; one loaded again after a kill
     * writes the same cells again, which Cassandra keeps once.
     */
    private void load(Place place, CassandraCluster cluster, JsonNode record, Endpoint login, Progress progress) {
        ServiceUser user = engine.runner().serviceUser();
        JsonNode recorded = record.path(CassandraBackups.NODES);
        JsonNode tables = record.path("tables");
        List<String> addresses = new ArrayList<>();
        for (int node = 1; node <= cluster.size(); node++) {
            addresses.add(CassandraCluster.address(node));
        }
        Path work = user.privateDirectory(place.directory().resolve(LOAD).resolve("tmp"));
        CassandraLoader loader = new CassandraLoader(engine.runner());
        int total = recorded.size() * tables.size();
        int done = 0;
        for (int node = 1; node <= recorded.size(); node++) {
            Path directory = filesOf(place, cluster, recorded, node);
            for (String table : tables.propertyNames()) {
                Path loaded = directory.resolve("loaded-" + CassandraBackups.checkedName(table));
                Path files = importDirectory(directory, table, tables);
                if (!Files.exists(loaded, LinkOption.NOFOLLOW_LINKS) && hasFiles(files)) {
                    loader.load(
                            files,
                            addresses,
                            place.port(),
                            cluster.storagePort(),
                            login,
                            place.directory().resolve(LOAD).resolve("login"),
                            work,
                            cluster.nodeDirectory(1).resolve("conf").resolve("logback.xml"),
                            place.directory().resolve(LOADER_LOG));
                }
                user.write(loaded, "loaded\n");
                progress.report("tables loaded", ++done, total);
            }
        }
    }

    /** A CREATE statement of a backup's schema that does nothing where a restart already made what it makes. */
    static String ifNotExists(String statement) {
        for (String kind : List.of(
                "KEYSPACE", "TYPE", "TABLE", "INDEX", "CUSTOM INDEX", "MATERIALIZED VIEW", "FUNCTION", "AGGREGATE")) {
            String create = "CREATE " + kind + " ";
            if (statement.startsWith(create) && !statement.startsWith(create + "IF NOT EXISTS ")) {
                return create + "IF NOT EXISTS " + statement.substring(create.length());
            }
        }
        return statement;
    }

    private static boolean hasFiles(Path directory) {
        try (Stream<Path> listed = Files.list(directory)) {
            return listed.findAny().isPresent();
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            throw new ForkrunnerException("cannot list " + directory + ": " + e.getMessage());
        }
    }

    /**
     * The fork holds the backup's ring, schema and roles: each node owns the tokens laid out for it, and the nodes
     * together the backup's nodes' tokens where they are as many; every keyspace, type, table, index and view the
     * backup has, as it describes them, and each role with its hash, flags, memberships and permissions; and each table
     * as many rows as its source held at the backup, where the backup could count them.
     */
    @Override
    public Optional<String> compareWithBackup(Path backup, Place place, Endpoint admin) {
        JsonNode record = CassandraBackups.record(backup);
        CassandraCluster cluster = CassandraCluster.at(engine, place);
        List<String> differences = new ArrayList<>();
        Map<String, Long> rows = new TreeMap<>();
        List<String> uncounted = new ArrayList<>();
        String ring = ringDiffers(cluster, record, differences);
        try (CassandraCql cql = CassandraCql.open(cluster.endpoint(admin))) {
            JsonNode schema = record.path("schema");
            Map<String, List<String>> found = cql.schema();
            for (String keyspace : schema.propertyNames()) {
                List<String> recorded = new ArrayList<>();
                schema.path(keyspace).forEach(statement -> recorded.add(statement.asString()));
                if (!recorded.equals(found.get(keyspace))) {
                    differences.add(
                            "keyspace " + keyspace + " is " + found.get(keyspace) + ", the backup's " + recorded);
                }
            }
            if (!found.keySet().equals(setOf(schema.propertyNames()))) {
                differences.add("the keyspaces are " + found.keySet() + ", the backup's " + schema.propertyNames());
            }
            JsonNode roles = CassandraRoles.read(cql);
            if (!roles.equals(record.path("roles"))) {
                differences.add("the roles differ from the backup's");
            }
            JsonNode tables = record.path("tables");
            for (String table : tables.propertyNames()) {
                JsonNode described = tables.path(table);
                String keyspace = described.path("keyspace").asString();
                String name = described.path("table").asString();
                long count = cql.count(keyspace, name);
                rows.put(keyspace + "." + name, count);
                rowsDiffer(described, count).ifPresent(differences::add);
                if (!described.has(CassandraBackups.ROWS)) {
                    uncounted.add(keyspace + "." + name + " ("
                            + described.path(CassandraBackups.ROWS_UNCOUNTED).asString("not counted at the backup")
                            + ")");
                }
            }
        }
        if (!differences.isEmpty()) {
            throw new ForkrunnerException(
                    "the fork does not hold what its backup holds: " + String.join("; ", differences));
        }
        long total = rows.values().stream().mapToLong(Long::longValue).sum();
        return Optional.of("equal: " + ring + "; schema of "
                + record.path("schema").size() + " keyspaces, "
                + record.path("roles").size() + " roles; " + total + " rows in " + rows.size() + " tables"
                + (uncounted.isEmpty()
                        ? ", each as many as its source held at the backup"
                        : ", as many as their source held at the backup except in " + String.join(", ", uncounted)
                                + ", whose rows were counted but not compared"));
    }

    /**
     * Adds to {@code differences} how the fork's ring differs from the one laid out for it: a node that owns other
     * tokens than those laid out for it (read through its JMX), or, in a fork of as many nodes as its backup's, nodes
     * that together own other tokens than the backup's nodes did. Says what the nodes own.
     */
    private static String ringDiffers(CassandraCluster cluster, JsonNode record, List<String> differences) {
        Set<String> owned = new TreeSet<>();
        for (int node = 1; node <= cluster.size(); node++) {
            Set<String> laidOut = new TreeSet<>(cluster.node(node).settings().tokens());
            Set<String> ownedByNode;
            try (CassandraJmx jmx = cluster.jmx(node)) {
                ownedByNode = new TreeSet<>(jmx.tokens());
            }
            if (!ownedByNode.equals(laidOut)) {
                differences.add("node " + node + " owns " + ownedByNode.size() + " tokens other than the "
                        + laidOut.size() + " laid out for it");
            }
            owned.addAll(ownedByNode);
        }
        String nodes = cluster.size() + (cluster.size() == 1 ? " node" : " nodes");
        JsonNode recorded = record.path(CassandraBackups.NODES);
        if (loading(cluster, recorded)) { // the bulk loader's fork: tokens of its own
            return nodes + " owning the " + owned.size() + " tokens laid out for them";
        }
        Set<String> backedUp = new TreeSet<>();
        recorded.forEach(node -> node.path("tokens").forEach(token -> backedUp.add(token.asString())));
        if (!owned.equals(backedUp)) {
            differences.add(
                    "the nodes own " + owned.size() + " tokens, not the " + backedUp.size() + " of the backup's nodes");
        }
        return nodes + " owning the backup's " + backedUp.size() + " tokens";
    }

    /**
     * How {@code count}, the rows a fork's table holds, differs from the rows its source held at the backup, as the
     * backup's record of the table says; empty when they are equal or the backup could not count them.
     */
    static Optional<String> rowsDiffer(JsonNode table, long count) {
        if (!table.has(CassandraBackups.ROWS)
                || table.path(CassandraBackups.ROWS).asLong() == count) {
            return Optional.empty();
        }
        return Optional.of("table " + table.path("keyspace").asString() + "."
                + table.path("table").asString()
                + " holds " + count + " rows, and its source held "
                + table.path(CassandraBackups.ROWS).asLong()
                + " when the backup was taken");
    }

    private static Set<String> setOf(Collection<String> names) {
        return new TreeSet<>(names);
    }
}
