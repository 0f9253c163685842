package io.forkrunner.engine.cassandra;

import io.forkrunner.engine.BackupLayDown;
import io.forkrunner.engine.CopyRate;
import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.PhysicalRestore;
import io.forkrunner.engine.Place;
import io.forkrunner.engine.Progress;
import io.forkrunner.engine.Restored;
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
 * their hashes and permissions. Every node's lay-down, the schema, each table's import on each node, and the roles are checkpoints: a
 * restart after a kill does only what is missing.
 */
final class CassandraRestore implements PhysicalRestore {

    /** The backup's record, copied at lay-down: what recovery restores. */
    static final String BACKUP = "backup.json";

    private static final String IMPORT = "import";
    private static final String LAID_DOWN = "laid-down";
    private static final String SCHEMA_CREATED = "schema-created";
    private static final String ROLES_CREATED = "roles-created";
    private static final Duration LOGIN_LIMIT = Duration.ofMinutes(2);
    private static final Pattern CASSANDRA_NAME = Pattern.compile("[A-Za-z0-9_]{1,48}");

    private final CassandraEngine engine;

    CassandraRestore(CassandraEngine engine) {
        this.engine = engine;
    }

    /** Copies each node's files of the backup beside the fork's node that stands for it, node by node. */
    @Override
    public String layDown(Path backup, Place place, long bytesPerSecond, Progress progress) {
        if (Files.exists(place.directory().resolve(SCHEMA_CREATED), LinkOption.NOFOLLOW_LINKS)) {
            return null;
        }
        ServiceUser user = engine.runner().serviceUser();
        user.privateDirectory(place.directory());
        JsonNode record = CassandraBackups.record(backup);
        user.write(place.directory().resolve(BACKUP), record.toPrettyString() + "\n");
        CassandraCluster cluster = CassandraCluster.layOut(engine, place, record.path(CassandraBackups.NODES));
        CopyRate rate = new CopyRate(bytesPerSecond);
        JsonNode tables = record.path("tables");
        List<String> ways = new ArrayList<>();
        for (int node = 1; node <= cluster.size(); node++) {
            Path directory = cluster.nodeDirectory(node);
            user.privateDirectory(directory);
            if (Files.exists(directory.resolve(LAID_DOWN), LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            Path files = backup.resolve(CassandraBackups.NODES).resolve(String.valueOf(node));
            for (String table : tables.propertyNames()) {
                Path copy = files.resolve(CassandraBackups.checkedName(table));
                if (Files.isDirectory(copy, LinkOption.NOFOLLOW_LINKS)) {
                    ways.add(new BackupLayDown(engine.runner())
                            .layDown(copy, importDirectory(directory, table, tables), directory, rate, progress)
                            .description());
                }
            }
            user.write(directory.resolve(LAID_DOWN), "laid down\n");
        }
        return ways.isEmpty() ? "none left: every node's files were laid down" : String.join(", ", new TreeSet<>(ways));
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
                        cql.execute(ifNotExists(statement.asString()));
                    }
                }
                user.write(schemaCreated, "schema of " + schema.size() + " keyspaces created\n");
            }
            JsonNode tables = record.path("tables");
            int total = cluster.size() * tables.size();
            int done = 0;
            for (int node = 1; node <= cluster.size(); node++) {
                Path directory = cluster.nodeDirectory(node);
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
        return new Restored(1, true, 0);
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
     * The fork holds the backup's schema and roles: every keyspace, type, table, index and view the backup has, as it
     * describes them, and each role with its hash, flags, memberships and permissions. The rows each table holds are
     * counted for the report.
     */
    @Override
    public Optional<String> compareWithBackup(Path backup, Place place, Endpoint admin) {
        JsonNode record = CassandraBackups.record(backup);
        CassandraCluster cluster = CassandraCluster.at(engine, place);
        List<String> differences = new ArrayList<>();
        Map<String, Long> rows = new TreeMap<>();
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
                String keyspace = tables.path(table).path("keyspace").asString();
                String name = tables.path(table).path("table").asString();
                rows.put(keyspace + "." + name, cql.count(keyspace, name));
            }
        }
        if (!differences.isEmpty()) {
            throw new ForkrunnerException(
                    "the fork does not hold what its backup holds: " + String.join("; ", differences));
        }
        long total = rows.values().stream().mapToLong(Long::longValue).sum();
        return Optional.of("equal: schema of " + record.path("schema").size() + " keyspaces, "
                + record.path("roles").size() + " roles; " + total + " rows in " + rows.size() + " tables");
    }

    private static Set<String> setOf(Collection<String> names) {
        return new TreeSet<>(names);
    }
}
