package io.forkrunner.engine.opensearch;

import io.forkrunner.definition.ServiceDefinition;
import io.forkrunner.engine.Backups;
import io.forkrunner.engine.BaseBackup;
import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.MajorMinor;
import io.forkrunner.engine.opensearch.SnapshotFiles.IndexShards;
import io.forkrunner.system.DirectoryTree;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.ServiceUser;
import io.forkrunner.system.Sha256;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Backups of an OpenSearch service: a snapshot of every index with the global state into forkrunner's repository of the
 * service (the cluster writes it: its {@code path.repo} must include it), refused unless SUCCESS with every shard.
 * The backup's own directory holds {@value #RECORD}: the snapshot's name and uuid, the cluster's version, and each
 * index's id in the repository, shards and documents. The documents are counted in a node of forkrunner's that restores
 * the snapshot (which is also the proof that it restores); a backup is verified, then and while every fork restores
 * it, by reading every file of the snapshot against the length and checksum the snapshot recorded.
 */
final class OpenSearchBackups implements Backups {

    static final String RECORD = "snapshot.json";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final OpenSearchEngine engine;

    OpenSearchBackups(OpenSearchEngine engine) {
        this.engine = engine;
    }

    @Override
    public BaseBackup take(ServiceDefinition service, Endpoint source, Path directory, Path log) {
        ServiceUser user = engine.runner().serviceUser();
        user.privateDirectory(directory);
        Path repository = OpenSearchEngine.repositoryOf(directory);
        user.privateDirectory(repository);
        OpenSearchClient cluster = OpenSearchEngine.client(source);
        String version = cluster.version();
        try {
            cluster.registerRepository(OpenSearchEngine.REPOSITORY, repository, false);
        } catch (ForkrunnerException e) {
            throw new ForkrunnerException("cannot register forkrunner's snapshot repository " + repository + " with "
                    + service.name() + " (the path.repo of its nodes must include it): " + e.getMessage());
        }
        String snapshot = OpenSearchEngine.snapshotOf(directory);
        Instant startedAt = engine.clock().instant();
        JsonNode taken = cluster.snapshot(OpenSearchEngine.REPOSITORY, snapshot);
        Instant endedAt = engine.clock().instant();
        String uuid = taken.path("uuid").asString("");
        Map<String, Integer> shards = cluster.shardsOf(OpenSearchEngine.REPOSITORY, snapshot);
        Map<String, String> ids = indexIds(repository, uuid);
        Map<String, Long> documents = countInNodeOfOurOwn(repository, snapshot);
        ObjectNode record = JSON.createObjectNode()
                .put("snapshot", snapshot)
                .put("uuid", uuid)
                .put("version", version)
                .put("data-nodes", cluster.dataNodes());
        ObjectNode indices = record.putObject("indices");
        for (Map.Entry<String, Integer> index : shards.entrySet()) {
            String id = ids.get(index.getKey());
            if (id == null) {
                throw new ForkrunnerException("the repository " + repository + " does not list index " + index.getKey()
                        + " of snapshot " + snapshot);
            }
            indices.putObject(index.getKey())
                    .put("id", id)
                    .put("shards", index.getValue())
                    .put("documents", documents.getOrDefault(index.getKey(), 0L));
        }
        if (service.security() != null) {
            ObjectNode files = record.putObject("security");
            for (String name : engine.security().copyIntoBackup(service.security(), directory)) {
                files.put(
                        name,
                        sha256(directory.resolve(OpenSearchSecurity.DIRECTORY).resolve(name)));
            }
        }
        user.write(directory.resolve(RECORD), record.toPrettyString() + "\n");
        SnapshotFiles.Checked checked = check(directory);
        if (!checked.problems().isEmpty()) {
            throw new ForkrunnerException("snapshot " + snapshot + " of " + service.name() + " failed verification: "
                    + String.join("; ", checked.problems()));
        }
        return new BaseBackup(startedAt, endedAt, 1, "snapshot", "snapshot", checked.bytes());
    }

    @Override
    public Optional<String> verify(Path directory) {
        List<String> problems;
        try {
            problems = check(directory).problems();
        } catch (ForkrunnerException e) {
            problems = List.of(e.getMessage());
        }
        return problems.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", problems));
    }

    /** A fork never has fewer data nodes than its source had: each holds shards the others may lack. */
    @Override
    public Optional<String> cannotFork(Path directory, Integer nodes) {
        int dataNodes = dataNodes(record(directory));
        return nodes == null || nodes >= dataNodes
                ? Optional.empty()
                : Optional.of("its source had " + dataNodes + " data nodes and the job's target asks for " + nodes
                        + ": a fork never has fewer data nodes than its source (each holds shards the others may"
                        + " lack)");
    }

    /** How many data nodes the source of the backup {@code record} describes had (1 for a record without). */
    static int dataNodes(JsonNode record) {
        return Math.max(1, record.path("data-nodes").asInt(1));
    }

    @Override
    public int majorVersion(Path directory) {
        return MajorMinor.number(record(directory).path("version").asString(""), engine.title());
    }

    /** Deletes the backup's snapshot through the source cluster, never by deleting files; nothing when it is gone. */
    @Override
    public void discard(ServiceDefinition service, Endpoint source, Path directory) {
        String snapshot = OpenSearchEngine.snapshotOf(directory);
        try {
            OpenSearchEngine.client(source).deleteSnapshot(OpenSearchEngine.REPOSITORY, snapshot);
        } catch (ForkrunnerException e) {
            if (!e.getMessage().contains("(404)")) {
                throw e;
            }
        }
    }

    private SnapshotFiles.Checked check(Path directory) {
        JsonNode record = record(directory);
        List<IndexShards> indices = new ArrayList<>();
        JsonNode listed = record.path("indices");
        for (String name : listed.propertyNames()) {
            indices.add(new IndexShards(
                    name,
                    checkedId(listed.path(name).path("id").asString("")),
                    listed.path(name).path("shards").asInt()));
        }
        SnapshotFiles.Checked checked = new SnapshotFiles(OpenSearchEngine.repositoryOf(directory))
                .check(checkedId(record.path("uuid").asString("")), indices);
        JsonNode security = record.path("security");
        for (String name : security.propertyNames()) {
            Path file = directory.resolve(OpenSearchSecurity.DIRECTORY).resolve(name);
            String found = Files.exists(file, LinkOption.NOFOLLOW_LINKS) ? sha256(file) : "(missing)";
            if (!found.equals(security.path(name).asString())) {
                checked.problems()
                        .add("security/" + name + " has changed since the backup was taken (SHA-256 " + found
                                + ", the record says " + security.path(name).asString() + ")");
            }
        }
        return checked;
    }

    private static String sha256(Path file) {
        try {
            return Sha256.hex(Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** The record of the backup in {@code directory}. */
    static JsonNode record(Path directory) {
        return readRecord(directory.resolve(RECORD));
    }

    /** A backup's record in {@code file}, or a copy of one. */
    static JsonNode readRecord(Path file) {
        String text = ServiceUser.readIfExists(file);
        if (text.isBlank()) {
            throw new ForkrunnerException(file.getFileName() + " is missing from " + file.getParent());
        }
        return JSON.readTree(text);
    }

    /** Each index of a backup's record with its number of shards, by name. */
    static Map<String, Integer> shards(JsonNode record) {
        Map<String, Integer> shards = new LinkedHashMap<>();
        JsonNode indices = record.path("indices");
        indices.propertyNames()
                .forEach(name ->
                        shards.put(name, indices.path(name).path("shards").asInt()));
        return shards;
    }

    /** Each index of a backup's record with its number of documents, by name. */
    static Map<String, Long> documents(JsonNode record) {
        Map<String, Long> documents = new TreeMap<>();
        JsonNode indices = record.path("indices");
        indices.propertyNames()
                .forEach(name ->
                        documents.put(name, indices.path(name).path("documents").asLong()));
        return documents;
    }

    /** An id or uuid of the repository, which becomes part of a path: only the characters OpenSearch makes them of. */
    private static String checkedId(String id) {
        if (!id.matches("[A-Za-z0-9_-]{1,64}")) {
            throw new ForkrunnerException("not an id of a snapshot repository: " + id);
        }
        return id;
    }

    /** The ids in the repository of the indices of snapshot {@code uuid}, by name, from its newest index-N. */
    private static Map<String, String> indexIds(Path repository, String uuid) {
        byte[] bytes = SnapshotFiles.read(repository.resolve("index.latest"));
        if (bytes.length != Long.BYTES) {
            throw new ForkrunnerException("cannot read index.latest of the repository " + repository);
        }
        long generation = ByteBuffer.wrap(bytes).getLong();
        JsonNode data = JSON.readTree(ServiceUser.readIfExists(repository.resolve("index-" + generation)));
        Map<String, String> ids = new LinkedHashMap<>();
        JsonNode indices = data.path("indices");
        for (String name : indices.propertyNames()) {
            for (JsonNode snapshot : indices.path(name).path("snapshots")) {
                if (snapshot.asString("").equals(uuid)) {
                    ids.put(name, indices.path(name).path("id").asString(""));
                }
            }
        }
        return ids;
    }

    /**
     * Restores the snapshot into a node of forkrunner's alone, in {@code counting/} beside the repository (no port of a
     * region; removed after), and counts each index's documents there. One left by a process that was killed is
     * stopped and removed first: the service's backup lock, which this process holds, says nobody else uses it.
     */
    private Map<String, Long> countInNodeOfOurOwn(Path repository, String snapshot) {
        Path directory = repository.resolveSibling("counting");
        engine.node(directory).stop();
        DirectoryTree.delete(directory);
        OpenSearchNode node = engine.node(directory);
        try {
            node.start("forkrunner-count", 0, List.of(repository));
            OpenSearchClient cluster = new OpenSearchClient(node.uri());
            cluster.registerRepository(OpenSearchEngine.REPOSITORY, repository, true);
            cluster.restore(OpenSearchEngine.REPOSITORY, snapshot, false);
            return cluster.documentCounts();
        } finally {
            node.stop();
            DirectoryTree.delete(directory);
        }
    }
}
