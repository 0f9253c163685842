package io.forkrunner.engine.opensearch;

import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.Inspection;
import io.forkrunner.engine.MajorMinor;
import io.forkrunner.engine.TableCount;
import io.forkrunner.system.ForkrunnerException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * Looking into an OpenSearch cluster over HTTP: its indices stand where a database's tables would, each with its
 * number of documents. OpenSearch has no SQL here: a job's checks are refused for it, and its integrations' files are
 * HTTP requests ({@code type: http}).
 */
final class OpenSearchInspection implements Inspection {

    private final String title;

    /** Looking into clusters of the server called {@code title}, for messages. */
    OpenSearchInspection(String title) {
        this.title = title;
    }

    @Override
    public int majorVersion(Endpoint endpoint) {
        return MajorMinor.number(OpenSearchEngine.client(endpoint).version(), title);
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

    /**
     * Sends the requests of {@code file} to the cluster, in order, each a line {@code METHOD /path} followed by its
     * JSON body, if any, up to a blank line ({@code #} begins a comment line). A refusal stops there, naming the line
     * of the file and the cluster's reason; each request and its answer's status go to {@code log}.
     */
    @Override
    public void runSql(Endpoint endpoint, String database, Path file, Path log) {
        List<HttpRequests.Request> requests = HttpRequests.read(file);
        OpenSearchClient cluster = OpenSearchEngine.client(endpoint);
        StringBuilder done = new StringBuilder();
        try {
            for (HttpRequests.Request request : requests) {
                try {
                    JsonNode answer = cluster.call(request.method(), request.path(), request.body());
                    done.append(request.method())
                            .append(' ')
                            .append(request.path())
                            .append(": ")
                            .append(summary(answer))
                            .append('\n');
                } catch (ForkrunnerException e) {
                    throw new ForkrunnerException(file.getFileName() + ":" + request.line() + ": " + e.getMessage());
                }
            }
        } finally {
            Inspection.writeLog(log, done.toString());
        }
    }

    /** What the log says of an answer: the counts OpenSearch gives for changed documents, or that it was taken. */
    private static String summary(JsonNode answer) {
        for (String count : List.of("updated", "deleted", "created", "total")) {
            if (answer.has(count)) {
                return count + " " + answer.path(count);
            }
        }
        return answer.has("acknowledged") ? "acknowledged" : "done";
    }
}
