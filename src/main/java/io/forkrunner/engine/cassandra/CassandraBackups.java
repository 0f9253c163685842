package io.forkrunner.engine.cassandra;

import io.forkrunner.definition.ServiceDefinition;
import io.forkrunner.engine.Backups;
import io.forkrunner.engine.BaseBackup;
import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.MajorMinor;
import io.forkrunner.system.Command;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.ServiceUser;
import io.forkrunner.system.Sha256;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Backups of a Cassandra cluster: every node flushed and snapshotted under one tag through JMX, each node's snapshot
 * files copied into the backup (as the service user, from the node's data directories on this host) and the snapshot
 * cleared from the node again. The backup's record, {@value #RECORD}, holds the cluster's version, the schema of its
 * keyspaces (CREATE statements), its roles with their hashes and permissions, and per node its address, tokens, data
 * center and rack and every file with its size and SHA-256; and each table's rows, counted on the source after the
 * snapshot where no write reached the table meanwhile. Tables are kept under names of forkrunner's ({@code t1},
 * {@code t2}, ...), never a name read from the cluster. Verified, then and while every fork restores it, by reading
 * every file against its size and digest.
 */
final class CassandraBackups implements Backups {

    static final String RECORD = "backup.json";
    static final String NODES = "nodes";
    /** A table's rows at the backup, when no write reached it while the backup was taken. */
    static final String ROWS = "rows";
    /** Why a table's rows at the backup are not known. */
    static final String ROWS_UNCOUNTED = "rows_uncounted";

    static final JsonMapper JSON = JsonMapper.builder().build();

    private final CassandraEngine engine;

    CassandraBackups(CassandraEngine engine) {
        this.engine = engine;
    }

    @Override
    public BaseBackup take(ServiceDefinition service, Endpoint source, Path directory, Path log) {
        ServiceUser user = engine.runner().serviceUser();
        user.privateDirectory(directory);
        String tag = "forkrunner-" + directory.getFileName().toString().toLowerCase(Locale.ROOT);
        ObjectNode record = JSON.createObjectNode();
        Instant startedAt = engine.clock().instant();
        Map<String, List<String>> schema;
        Map<String, String> tableIds = new TreeMap<>();
        Map<String, Integer> expiring = new TreeMap<>();
        try (CassandraCql cql = CassandraCql.open(source)) {
            schema = cql.schema();
            record.put("version", cql.releaseVersion());
            record.set("roles", CassandraRoles.read(cql));
            for (var row : cql.execute(
                    "SELECT keyspace_name, table_name, id, default_time_to_live FROM system_schema.tables")) {
                if (schema.containsKey(row.getString("keyspace_name"))) {
                    String table = row.getString("keyspace_name") + "." + row.getString("table_name");
                    tableIds.put(table, row.getUuid("id").toString().replace("-", ""));
                    if (row.getInt("default_time_to_live") > 0) {
                        expiring.put(table, row.getInt("default_time_to_live"));
                    }
                }
            }
        }
        ObjectNode keyspaces = record.putObject("schema");
        schema.forEach((keyspace, statements) -> {
            var list = keyspaces.putArray(keyspace);
            statements.forEach(list::add);
        });
        // forkrunner's own names for the tables: t1, t2, ... in order of keyspace and table
        ObjectNode tables = record.putObject("tables");
        Map<String, String> named = new TreeMap<>();
        int number = 0;
        for (Map.Entry<String, String> table : tableIds.entrySet()) {
            String name = "t" + ++number;
            named.put(table.getKey(), name);
            int dot = table.getKey().indexOf('.');
            ObjectNode described = tables.putObject(name)
                    .put("keyspace", table.getKey().substring(0, dot))
                    .put("table", table.getKey().substring(dot + 1))
                    .put("id", table.getValue());
            if (expiring.containsKey(table.getKey())) {
                // a fork made later would hold fewer: its rows will have expired by then
                described.put(
                        ROWS_UNCOUNTED,
                        "its rows expire " + expiring.get(table.getKey()) + " s after they are written, by"
                                + " default_time_to_live");
            }
        }
        var nodes = record.putArray(NODES);
        List<CassandraJmx> snapshotted = new ArrayList<>();
        try {
            CassandraJmx.Login login = engine.jmxLogin(service);
            for (ServiceDefinition.Node node : service.nodes()) {
                snapshotted.add(CassandraJmx.connect(
                        CassandraNode.JMX_HOST,
                        node.jmxPort(),
                        "node " + node.address() + " of " + service.name(),
                        login));
            }
            Map<String, Long> writesBefore = writes(snapshotted, tables);
            for (CassandraJmx jmx : snapshotted) {
                jmx.snapshot(tag, List.copyOf(schema.keySet()));
            }
            Instant endedAt = engine.clock().instant();
            for (int i = 0; i < service.nodes().size(); i++) {
                ServiceDefinition.Node node = service.nodes().get(i);
                CassandraJmx jmx = snapshotted.get(i);
                ObjectNode described = nodes.addObject()
                        .put("address", node.address())
                        .put("datacenter", jmx.datacenter())
                        .put("rack", jmx.rack());
                var tokens = described.putArray("tokens");
                jmx.tokens().forEach(tokens::add);
                ObjectNode files = described.putObject("files");
                Path nodeDirectory = directory.resolve(NODES).resolve(String.valueOf(i + 1));
                user.privateDirectory(nodeDirectory);
                for (Map.Entry<String, String> table : named.entrySet()) {
                    Path snapshot =
                            snapshotOf(jmx.dataFileLocations(), table.getKey(), tableIds.get(table.getKey()), tag);
                    Path into = nodeDirectory.resolve(table.getValue());
                    user.privateDirectory(into);
                    if (snapshot != null) {
                        copyAsServiceUser(snapshot, into, log);
                    }
                    files.set(table.getValue(), describeFiles(into));
                }
            }
            Map<String, List<Path>> files = new TreeMap<>();
            for (String name : named.values()) {
                for (int i = 0; i < service.nodes().size(); i++) {
                    files.computeIfAbsent(name, table -> new ArrayList<>())
                            .add(directory
                                    .resolve(NODES)
                                    .resolve(String.valueOf(i + 1))
                                    .resolve(name));
                }
            }
            markWrittenWithTtl(tables, files, directory.resolve("sstable-metadata"));
            countRows(source, tables, writesBefore, snapshotted);
            user.write(directory.resolve(RECORD), record.toPrettyString() + "\n");
            Optional<String> problems = verify(directory);
            if (problems.isPresent()) {
                throw new ForkrunnerException(
                        "the backup of " + service.name() + " failed verification: " + problems.get());
            }
            return new BaseBackup(startedAt, endedAt, 1, tag, tag, bytes(record));
        } finally {
            for (CassandraJmx jmx : snapshotted) {
                try (jmx) {
                    jmx.clearSnapshot(tag, List.copyOf(schema.keySet()));
                }
            }
        }
    }

    /** The writes each node has applied to each table, summed over the nodes; empty when a node cannot say. */
    private static Map<String, Long> writes(List<CassandraJmx> nodes, ObjectNode tables) {
        Map<String, Long> writes = new TreeMap<>();
        try {
            for (CassandraJmx jmx : nodes) {
                for (String table : tables.propertyNames()) {
                    writes.merge(
                            table,
                            jmx.writes(
                                    tables.path(table).path("keyspace").asString(),
                                    tables.path(table).path("table").asString()),
                            Long::sum);
                }
            }
            return writes;
        } catch (ForkrunnerException e) {
            return Map.of();
        }
    }

    /**
     * Marks uncounted the tables whose files in the backup hold a cell written with a TTL of its own: a fork made later
     * would hold fewer rows, some having expired by then. When the files' TTLs cannot be read, every table is marked so,
     * saying why: the backup is kept, and only the comparison of counts is lost.
     */
    private void markWrittenWithTtl(ObjectNode tables, Map<String, List<Path>> files, Path work) {
        Map<String, Long> ttls;
        String unread = null;
        try {
            ttls = CassandraWriteTtls.of(engine.runner(), files, work);
        } catch (ForkrunnerException e) {
            ttls = Map.of();
            unread = e.getMessage();
        }
        for (String name : tables.propertyNames()) {
            ObjectNode described = (ObjectNode) tables.path(name);
            if (described.has(ROWS_UNCOUNTED)) {
                continue;
            }
            if (unread != null) {
                described.put(ROWS_UNCOUNTED, "the TTLs in its files could not be read (" + unread + ")");
            } else if (ttls.containsKey(name)) {
                described.put(
                        ROWS_UNCOUNTED,
                        "some of its rows were written with a TTL of their own (up to " + ttls.get(name)
                                + " s): they may expire between the backup and a fork");
            }
        }
    }

    /**
     * Each table's rows, counted on the source after its snapshot was taken, recorded as {@code rows} when no write
     * reached the table from before the snapshot until the count ended: then they are exactly the rows its snapshot
     * holds, which a fork must hold too. A table written to meanwhile (or whose writes the nodes could not tell) gets
     * {@code rows_uncounted} with the reason instead. A table whose rows expire by default is not counted.
     */
    private static void countRows(
            Endpoint source, ObjectNode tables, Map<String, Long> writesBefore, List<CassandraJmx> nodes) {
        Map<String, Long> rows = new TreeMap<>();
        try (CassandraCql cql = CassandraCql.open(source)) {
            for (String table : tables.propertyNames()) {
                if (tables.path(table).has(ROWS_UNCOUNTED)) {
                    continue;
                }
                rows.put(
                        table,
                        cql.count(
                                tables.path(table).path("keyspace").asString(),
                                tables.path(table).path("table").asString()));
            }
        }
        Map<String, Long> writesAfter = writes(nodes, tables);
        for (String table : tables.propertyNames()) {
            ObjectNode described = (ObjectNode) tables.path(table);
            if (described.has(ROWS_UNCOUNTED)) {
                continue;
            }
            Long before = writesBefore.get(table);
            Long after = writesAfter.get(table);
            if (before == null || after == null) {
                described.put(ROWS_UNCOUNTED, "its nodes did not say how many writes it had");
            } else if (!before.equals(after)) {
                described.put(ROWS_UNCOUNTED, (after - before) + " writes reached it during the backup");
            } else {
                described.put(ROWS, rows.get(table));
            }
        }
    }

    /**
     * The directory of a table's snapshot {@code tag} under one of a node's data directories ({@code KEYSPACE/TABLE-ID/
     * snapshots/TAG}); null when the table has no data on that node (no sstable was ever flushed there).
     */
    private static Path snapshotOf(List<Path> dataDirectories, String table, String id, String tag) {
        int dot = table.indexOf('.');
        for (Path data : dataDirectories) {
            Path snapshot = data.resolve(table.substring(0, dot))
                    .resolve(table.substring(dot + 1) + "-" + id)
                    .resolve("snapshots")
                    .resolve(tag);
            if (Files.isDirectory(snapshot, LinkOption.NOFOLLOW_LINKS)) {
                return snapshot;
            }
        }
        return null;
    }

    /**
     * Copies the files of {@code snapshot} into {@code into} as the service user, who owns both: root reads nothing in a
     * directory the cluster's user can write. Links are copied as links, never followed, and then refused by the
     * check of every file.
     */
    private void copyAsServiceUser(Path snapshot, Path into, Path log) {
        engine.runner()
                .run(Command.of(
                                "cp",
                                "--recursive",
                                "--no-dereference",
                                "--preserve=timestamps",
                                "--no-target-directory",
                                snapshot.toAbsolutePath().toString(),
                                into.toAbsolutePath().toString())
                        .asServiceUser()
                        .loggingTo(log));
    }

    /**
     * Each regular file of a table's copy (by its path in the copy: a secondary index keeps its files in a directory of
     * its own), with its size and SHA-256; a link or anything else but files and directories is refused.
     */
    private static ObjectNode describeFiles(Path table) {
        ObjectNode files = JSON.createObjectNode();
        try (Stream<Path> walked = Files.walk(table)) {
            for (Path file : walked.sorted().toList()) {
                if (file.equals(table) || Files.isDirectory(file, LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                    throw new ForkrunnerException(file + " is not a regular file: a snapshot holds files only");
                }
                files.putObject(table.relativize(file).toString())
                        .put("size", Files.size(file))
                        .put("sha256", sha256(file));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + table, e);
        }
        return files;
    }

    /** The files a table's snapshot manifest ({@code manifest.json}, when it has one) lists that its copy lacks. */
    private static List<String> missingFromManifest(Path table, JsonNode files) {
        String manifest = ServiceUser.readIfExists(table.resolve("manifest.json"));
        if (manifest.isBlank()) {
            return List.of();
        }
        List<String> missing = new ArrayList<>();
        for (JsonNode listed : JSON.readTree(manifest).path("files")) {
            if (!files.has(listed.asString())) {
                missing.add(listed.asString());
            }
        }
        return missing;
    }

    private static String sha256(Path file) {
        try (InputStream in = Channels.newInputStream(
                Files.newByteChannel(file, Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)))) {
            return Sha256.hex(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + " (a link there is not followed)", e);
        }
    }

    /**
     * The bytes of the files {@code described}: a backup's record (every node's), a node's {@code files} (every
     * table's), or one table's.
     */
    static long bytes(JsonNode described) {
        long bytes = 0;
        for (JsonNode size : described.findValues("size")) {
            bytes += size.asLong();
        }
        return bytes;
    }

    /** Every node's files present, none besides them, each of its recorded size and digest. */
    @Override
    public Optional<String> verify(Path directory) {
        JsonNode record;
        try {
            record = record(directory);
        } catch (ForkrunnerException e) {
            return Optional.of(e.getMessage());
        }
        List<String> problems = new ArrayList<>();
        int number = 0;
        for (JsonNode node : record.path(NODES)) {
            number++;
            for (String table : node.path("files").propertyNames()) {
                Path copy =
                        directory.resolve(NODES).resolve(String.valueOf(number)).resolve(checkedName(table));
                JsonNode recorded = node.path("files").path(table);
                ObjectNode found;
                try {
                    found = describeFiles(copy);
                } catch (ForkrunnerException | UncheckedIOException e) {
                    problems.add("node " + number + ", table " + table + ": " + e.getMessage());
                    continue;
                }
                for (String file : recorded.propertyNames()) {
                    if (!found.has(file)) {
                        problems.add("node " + number + ", table " + table + ": " + file + " is missing");
                    } else if (found.path(file).path("size").asLong()
                                    != recorded.path(file).path("size").asLong()
                            || !found.path(file)
                                    .path("sha256")
                                    .asString()
                                    .equals(recorded.path(file).path("sha256").asString())) {
                        problems.add("node " + number + ", table " + table + ": " + file + " has changed (size "
                                + found.path(file).path("size").asLong() + ", SHA-256 "
                                + found.path(file).path("sha256").asString() + "; the record says "
                                + recorded.path(file).path("size").asLong() + ", "
                                + recorded.path(file).path("sha256").asString() + ")");
                    }
                }
                for (String file : found.propertyNames()) {
                    if (!recorded.has(file)) {
                        problems.add("node " + number + ", table " + table + ": " + file + " is not in the record");
                    }
                }
                for (String file : missingFromManifest(copy, found)) {
                    problems.add("node " + number + ", table " + table + ": " + file
                            + ", which its snapshot's manifest lists, is missing");
                }
            }
        }
        return problems.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", problems));
    }

    /**
     * A fork never has fewer nodes than the backup's source had, which would lose the rows of the token ranges the
     * missing nodes owned; more are loaded through the bulk loader.
     */
    @Override
    public Optional<String> cannotFork(Path directory, Integer nodes) {
        int recorded = record(directory).path(NODES).size();
        if (nodes == null || nodes >= recorded) {
            return Optional.empty();
        }
        return Optional.of("its source had " + recorded + " nodes and the job's target has " + nodes
                + ": a fork never has fewer nodes than its source, whose files hold the rows of the token ranges each"
                + " node owned");
    }

    /** A table's name in a backup, checked to be one of forkrunner's before it becomes a path. */
    static String checkedName(String table) {
        if (!table.matches("t[0-9]{1,9}")) {
            throw new ForkrunnerException("the backup record names a table " + table + ", not one of forkrunner's");
        }
        return table;
    }

    @Override
    public int majorVersion(Path directory) {
        return MajorMinor.number(record(directory).path("version").asString(""), engine.title());
    }

    static JsonNode record(Path directory) {
        String text = ServiceUser.readIfExists(directory.resolve(RECORD));
        if (text.isBlank()) {
            throw new ForkrunnerException("the backup in " + directory + " has no " + RECORD);
        }
        return JSON.readTree(text);
    }
}
