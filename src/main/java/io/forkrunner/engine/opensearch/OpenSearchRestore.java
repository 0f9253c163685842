package io.forkrunner.engine.opensearch;

import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.PhysicalRestore;
import io.forkrunner.engine.Place;
import io.forkrunner.engine.Progress;
import io.forkrunner.engine.Restored;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.ServerProcess;
import io.forkrunner.system.ServiceUser;
import java.nio.file.Files;
import java.nio.file.LinkOption;
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
import java.util.function.Supplier;
import tools.jackson.databind.JsonNode;

/**
 * An OpenSearch fork from a backup: a new cluster, of as many nodes as its source had data nodes or more, that reads
 * the service's snapshot repository in place, registered read-only (nothing is copied beforehand, and the fork can
 * never write into the backups), and restores the backup's snapshot with every index, its aliases and the global
 * state. A restore that began and did not end (the run
 * was killed) is begun again after the indices it had made are deleted: never two of one index.
 */
final class OpenSearchRestore implements PhysicalRestore {

    /** The backup's record, copied at lay-down: what recover restores. */
    private static final String BACKUP = "backup.json";
    /** Made before the restore is asked for: from then on nothing is laid down again. */
    private static final String RESTORE_BEGUN = "restore-begun";

    private static final Duration POLL = Duration.ofMillis(200);
    /** How long a restore may show no progress at all before the step fails, saying what it saw. */
    private static final Duration STALL = Duration.ofMinutes(10);

    private final OpenSearchEngine engine;

    OpenSearchRestore(OpenSearchEngine engine) {
        this.engine = engine;
    }

    @Override
    public String layDown(Path backup, Place place, long bytesPerSecond, Progress progress) {
        return layDown(backup, place, null, bytesPerSecond, progress);
    }

    /**
     * Starts the fork's cluster, of {@code nodes} nodes (null: as many as its source's data nodes), with the backup's
     * repository in its {@code path.repo}, and registers that repository read-only, restores from it limited to
     * {@code bytesPerSecond}.
     */
    @Override
    public String layDown(Path backup, Place place, Integer nodes, long bytesPerSecond, Progress progress) {
        if (Files.exists(place.directory().resolve(RESTORE_BEGUN), LinkOption.NOFOLLOW_LINKS)) {
            return null;
        }
        ServiceUser user = engine.runner().serviceUser();
        user.privateDirectory(place.directory());
        JsonNode record = OpenSearchBackups.record(backup); // refused when the backup has none
        int size = nodes != null ? nodes : OpenSearchBackups.dataNodes(record);
        user.write(
                place.directory().resolve(BACKUP), ServiceUser.readIfExists(backup.resolve(OpenSearchBackups.RECORD)));
        Path repository = OpenSearchEngine.repositoryOf(backup);
        OpenSearchCluster cluster = engine.cluster(place);
        if (!cluster.isRunning()) {
            cluster.configure(place.directory().getFileName().toString(), size, place.port(), List.of(repository));
        }
        cluster.start();
        new OpenSearchClient(cluster.uri())
                .registerRepository(OpenSearchEngine.REPOSITORY, repository, true, bytesPerSecond);
        return "none: the fork's " + (size == 1 ? "node reads" : size + " nodes read")
                + " the snapshot repository in place, registered read-only";
    }

    /** Restores the snapshot into the fork's cluster, showing the bytes restored, until every shard is. */
    @Override
    public Restored recover(
            Place place, Path archive, String backupStart, Instant target, Endpoint admin, Progress progress) {
        Path laidDown = place.directory();
        JsonNode record = OpenSearchBackups.readRecord(laidDown.resolve(BACKUP));
        String snapshot = record.path("snapshot").asString("");
        Map<String, Integer> shards = OpenSearchBackups.shards(record);
        OpenSearchCluster cluster = engine.cluster(place);
        cluster.start();
        OpenSearchClient fork = new OpenSearchClient(cluster.uri());
        Path begun = laidDown.resolve(RESTORE_BEGUN);
        if (Files.exists(begun, LinkOption.NOFOLLOW_LINKS)) {
            // a restore began and did not end: what it made of the indices goes, then they are restored whole
            for (String index : shards.keySet()) {
                fork.deleteIndex(index);
            }
        }
        engine.runner()
                .serviceUser()
                .write(
                        begun,
                        "restore of snapshot " + snapshot + " began "
                                + engine.clock().instant() + "\n");
        fork.startRestore(OpenSearchEngine.REPOSITORY, snapshot, true);
        OpenSearchClient.Recovery last = null;
        long changedAt = System.nanoTime();
        while (true) {
            OpenSearchClient.Recovery recovery = fork.recovery(shards);
            progress.report("bytes restored", recovery.bytesDone(), recovery.bytesTotal());
            if (recovery.complete()) {
                return new Restored(1, true, 0);
            }
            if (!recovery.equals(last)) {
                last = recovery;
                changedAt = System.nanoTime();
            } else if (System.nanoTime() - changedAt > STALL.toNanos()) {
                throw new ForkrunnerException("the restore of snapshot " + snapshot + " made no progress for " + STALL
                        + ": " + recovery.shardsDone() + " of " + recovery.shards() + " shards restored, "
                        + recovery.bytesDone() + " of " + recovery.bytesTotal() + " bytes; see the logs/node.out of the"
                        + " fork's nodes");
            }
            ServerProcess.pause(POLL, "the restore of snapshot " + snapshot);
        }
    }

    /**
     * Each index of the fork holds the documents the backup counted, there is no other index, and the fork's cluster
     * holds the snapshot's global state: its persistent settings with their values, its index templates, ingest
     * pipelines and stored scripts.
     */
    @Override
    public Optional<String> compareWithBackup(Path backup, Place place, Endpoint admin) {
        JsonNode record = OpenSearchBackups.record(backup);
        Map<String, Long> recorded = OpenSearchBackups.documents(record);
        OpenSearchClient fork = new OpenSearchClient(engine.cluster(place).uri());
        Map<String, Long> found = fork.documentCounts();
        List<String> differences = new ArrayList<>();
        int dataNodes = fork.dataNodes();
        int sourceDataNodes = OpenSearchBackups.dataNodes(record);
        if (dataNodes < sourceDataNodes) {
            differences.add(dataNodes + " data nodes, fewer than its source's " + sourceDataNodes);
        }
        if (!found.equals(recorded)) {
            differences.add("documents by index " + found + ", the backup's " + recorded);
        }
        SnapshotFiles.GlobalState state = new SnapshotFiles(OpenSearchEngine.repositoryOf(backup))
                .globalState(record.path("uuid").asString(""));
        Map<String, String> settings = new TreeMap<>();
        fork.call("GET", "/_cluster/settings?flat_settings=true", null)
                .path("persistent")
                .properties()
                .forEach(entry -> settings.put(entry.getKey(), entry.getValue().asString("")));
        state.persistentSettings().forEach((name, value) -> {
            if (!value.equals(settings.get(name))) {
                differences.add(
                        "persistent setting " + name + " is " + settings.get(name) + ", the snapshot's " + value);
            }
        });
        missing(
                differences,
                "index templates",
                state.indexTemplates(),
                () -> fork.names("/_index_template", "index_templates", "name"));
        missing(
                differences,
                "ingest pipelines",
                state.pipelines(),
                () -> fork.call("GET", "/_ingest/pipeline", null).propertyNames());
        missing(
                differences,
                "stored scripts",
                state.scripts(),
                () -> fork.call("GET", "/_cluster/state/metadata?filter_path=metadata.stored_scripts", null)
                        .path("metadata")
                        .path("stored_scripts")
                        .propertyNames());
        if (!differences.isEmpty()) {
            throw new ForkrunnerException(
                    "the fork does not hold what its backup holds: " + String.join("; ", differences));
        }
        long documents = found.values().stream().mapToLong(Long::longValue).sum();
        return Optional.of("equal: " + documents + " documents in " + found.size() + " indices; "
                + state.persistentSettings().size() + " persistent settings, "
                + state.indexTemplates().size()
                + " index templates, " + state.pipelines().size() + " ingest pipelines, "
                + state.scripts().size()
                + " stored scripts");
    }

    /** Adds which of {@code wanted} the fork lacks, asking it ({@code found}) only when some are wanted. */
    private static void missing(
            List<String> differences, String what, Set<String> wanted, Supplier<Collection<String>> found) {
        if (wanted.isEmpty()) {
            return; // OpenSearch answers 404 for "every pipeline" when there is none
        }
        Set<String> absent = new TreeSet<>(wanted);
        absent.removeAll(found.get());
        if (!absent.isEmpty()) {
            differences.add(what + " " + absent + " are missing");
        }
    }
}
