package io.forkrunner.engine.opensearch;

import io.forkrunner.system.ForkrunnerException;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * What forkrunner asks of an OpenSearch cluster, over its HTTP API only: snapshot repositories of the {@code fs} type,
 * snapshots with the global state, restores, and what a fork is compared by. A refusal names the call and shows the
 * cluster's error.
 */
public final class OpenSearchClient {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Duration TIMEOUT = Duration.ofHours(6);

    private final URI base;
    private final HttpClient http;

    /** The cluster answering at {@code base}, e.g. {@code http://127.0.0.1:9200}. */
    public OpenSearchClient(URI base) {
        this.base = base;
        this.http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build();
    }

    /**
     * Registers {@code location} (which must lie under the cluster's {@code path.repo}) as the {@code fs} repository
     * {@code name}; {@code readonly} for a cluster that restores from it and must never write into it.
     */
    public void registerRepository(String name, Path location, boolean readonly) {
        ObjectNode body = JSON.createObjectNode().put("type", "fs");
        body.putObject("settings")
                .put("location", location.toAbsolutePath().toString())
                .put("readonly", readonly);
        call("PUT", "/_snapshot/" + segment(name), body);
    }

    /**
     * Takes snapshot {@code snapshot} of every index with the cluster's global state into repository {@code
     * repository}, waiting for it, and refuses it unless it ended SUCCESS with every shard.
     */
    public JsonNode snapshot(String repository, String snapshot) {
        ObjectNode body = JSON.createObjectNode().put("indices", "*").put("include_global_state", true);
        JsonNode taken = call(
                        "PUT",
                        "/_snapshot/" + segment(repository) + "/" + segment(snapshot) + "?wait_for_completion=true",
                        body)
                .path("snapshot");
        String state = taken.path("state").asString("");
        int failed = taken.path("shards").path("failed").asInt(-1);
        if (!state.equals("SUCCESS") || failed != 0) {
            throw new ForkrunnerException("snapshot " + snapshot + " of " + base + " ended " + state + " with " + failed
                    + " failed shards: " + taken.path("failures"));
        }
        return taken;
    }

    /** Restores snapshot {@code snapshot} of repository {@code repository}: every index, its aliases, the global state. */
    public void restore(String repository, String snapshot) {
        ObjectNode body = JSON.createObjectNode()
                .put("indices", "*")
                .put("include_global_state", true)
                .put("include_aliases", true);
        JsonNode restored = call(
                        "POST",
                        "/_snapshot/" + segment(repository) + "/" + segment(snapshot)
                                + "/_restore?wait_for_completion=true",
                        body)
                .path("snapshot")
                .path("shards");
        if (restored.path("failed").asInt(-1) != 0) {
            throw new ForkrunnerException("the restore of snapshot " + snapshot + " into " + base + " failed on "
                    + restored.path("failed") + " of " + restored.path("total") + " shards");
        }
    }

    /** Deletes snapshot {@code snapshot} through the cluster: never by deleting the repository's files. */
    public void deleteSnapshot(String repository, String snapshot) {
        call("DELETE", "/_snapshot/" + segment(repository) + "/" + segment(snapshot), null);
    }

    /** The number of documents of each index, hidden and system ones left out, by name. */
    public Map<String, Long> documentCounts() {
        Map<String, Long> counts = new TreeMap<>();
        for (JsonNode index : call("GET", "/_cat/indices?format=json&h=index&expand_wildcards=open", null)) {
            String name = index.path("index").asString("");
            if (!name.startsWith(".")) {
                counts.put(
                        name,
                        call("GET", "/" + segment(name) + "/_count", null)
                                .path("count")
                                .asLong());
            }
        }
        return counts;
    }

    /** Sends {@code body} (none when null) and returns the answer; a refusal shows the cluster's error. */
    public JsonNode call(String method, String path, JsonNode body) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + path))
                .timeout(TIMEOUT)
                .header("Content-Type", "application/json")
                .method(
                        method,
                        body == null
                                ? HttpRequest.BodyPublishers.noBody()
                                : HttpRequest.BodyPublishers.ofString(body.toString()))
                .build();
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new ForkrunnerException(
                    "cannot reach OpenSearch at " + base + " (" + method + " " + path + "): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ForkrunnerException("interrupted while calling OpenSearch at " + base);
        }
        if (response.statusCode() / 100 != 2) {
            JsonNode error = readOrNull(response.body());
            String reason = error == null
                    ? response.body()
                    : error.path("error").path("reason").asString(response.body());
            throw new ForkrunnerException("OpenSearch at " + base + " refused " + method + " " + path + " ("
                    + response.statusCode() + "): " + reason);
        }
        return response.body().isBlank() ? JSON.createObjectNode() : JSON.readTree(response.body());
    }

    private static JsonNode readOrNull(String text) {
        try {
            return JSON.readTree(text);
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** A name as one segment of a path: percent-encoded, so that it never adds a segment or a query. */
    static String segment(String name) {
        return URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
