package io.forkrunner.engine.opensearch;

import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.Inspection;
import io.forkrunner.engine.TableCount;
import io.forkrunner.system.ForkrunnerException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Looking into an OpenSearch cluster over HTTP: its indices stand where a database's tables would, each with its
 * number of documents. OpenSearch has no SQL here: a job's checks and SQL files are refused for it.
 */
final class OpenSearchInspection implements Inspection {

    @Override
    public int majorVersion(Endpoint endpoint) {
        return OpenSearchEngine.versionNumber(OpenSearchEngine.client(endpoint).version());
    }

    @Override
    public List<String> databases(Endpoint endpoint) {
        return OpenSearchEngine.client(endpoint).indices();
    }

    @Override
    public List<TableCount> tableCounts(Endpoint endpoint) {
        return OpenSearchEngine.client(endpoint).documentCounts().entrySet().stream()
                .map(index -> new TableCount(index.getKey(), "", "documents", index.getValue(), false))
                .toList();
    }

    @Override
    public List<TableCount> tableCounts(Endpoint endpoint, String database) {
        return List.of(new TableCount(
                database, "", "documents", OpenSearchEngine.client(endpoint).documentCount(database), false));
    }

    @Override
    public Map<String, String> extensions(Endpoint endpoint) {
        return Map.of();
    }

    @Override
    public String defaultDatabase() {
        return null;
    }

    @Override
    public boolean check(Endpoint endpoint, String database, String sql) {
        throw new ForkrunnerException("OpenSearch takes no SQL checks");
    }

    @Override
    public void runSql(Endpoint endpoint, String database, Path file, Path log) {
        throw new ForkrunnerException("OpenSearch takes no SQL files");
    }
}
