package io.forkrunner.engine.opensearch;

import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.VerifiedTls;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.Secret;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import javax.net.ssl.SSLContext;
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
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);

    private final URI base;
    private final HttpClient http;
    private final Secret authorization;

    /** The cluster answering at {@code base}, e.g. {@code http://127.0.0.1:9200}. */
    public OpenSearchClient(URI base) {
        this(base, HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).build(), null);
    }

    private OpenSearchClient(URI base, HttpClient http, Secret authorization) {
        this.base = base;
        this.http = http;
        this.authorization = authorization;
    }

    /**
     * The cluster at {@code login}'s host and port over HTTPS, as its user (basic authentication): a search service
     * forkrunner does not run, a fork on Aiven. The server's certificate must be signed by {@code login}'s certificate
     * authority or one the JVM trusts by default, and name the host ({@link VerifiedTls}).
     */
    public static OpenSearchClient overTls(Endpoint login) {
        SSLContext tls;
        try {
            tls = VerifiedTls.contextAlsoTrustingDefaults(login.certificateAuthority());
        } catch (IOException e) {
            throw new ForkrunnerException("cannot verify OpenSearch at " + login + ": " + e.getMessage(), e);
        }
        String credentials = login.user() + ":"
                + (login.password() == null ? "" : login.password().reveal());
        return new OpenSearchClient(
                URI.create("https://" + (login.host().contains(":") ? "[" + login.host() + "]" : login.host()) + ":"
                        + login.port()),
                HttpClient.newBuilder()
                        .connectTimeout(CONNECT_TIMEOUT)
                        .sslContext(tls)
                        .build(),
                new Secret(
                        "Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8))));
    }

    /** Where the cluster answers. */
    public URI base() {
        return base;
    }

    /**
     * Registers {@code location} (which must lie under the cluster's {@code path.repo}) as the {@code fs} repository
     * {@code name}, its metadata uncompressed; {@code readonly} for a cluster that restores from it and must never write
     * into it.
     */
    public void registerRepository(String name, Path location, boolean readonly) {
        registerRepository(name, location, readonly, 0);
    }

    /** As {@link #registerRepository(String, Path, boolean)}, restores from it limited to {@code restoreBytesPerSecond} (0: none). */
    public void registerRepository(String name, Path location, boolean readonly, long restoreBytesPerSecond) {
        ObjectNode body = JSON.createObjectNode().put("type", "fs");
        ObjectNode settings = body.putObject("settings")
                .put("location", location.toAbsolutePath().toString())
                .put("compress", false)
                .put("readonly", readonly);
        if (restoreBytesPerSecond > 0) {
            settings.put("max_restore_bytes_per_sec", restoreBytesPerSecond + "b");
        }
        call("PUT", "/_snapshot/" + segment(name), body);
    }

    /** How many data nodes the cluster has. */
    public int dataNodes() {
        return call("GET", "/_cluster/health", null)
                .path("number_of_data_nodes")
                .asInt();
    }

    /** The version of OpenSearch the cluster runs, e.g. {@code 2.19.6}. */
    public String version() {
        return call("GET", "/", null).path("version").path("number").asString("");
    }

    /** The number of shards of each index of snapshot {@code snapshot}, by name. */
    public Map<String, Integer> shardsOf(String repository, String snapshot) {
        Map<String, Integer> shards = new TreeMap<>();
        JsonNode indices = call("GET", "/_snapshot/" + segment(repository) + "/" + segment(snapshot) + "/_status", null)
                .path("snapshots")
                .path(0)
                .path("indices");
        for (String index : indices.propertyNames()) {
            shards.put(index, indices.path(index).path("shards").size());
        }
        return shards;
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

    /**
     * Restores snapshot {@code snapshot} of repository {@code repository}: every index with its aliases, and the global
     * state when {@code globalState}; waits for it, and refuses it unless every shard was restored.
     */
    public void restore(String repository, String snapshot, boolean globalState) {
        JsonNode restored = call(
                        "POST",
                        "/_snapshot/" + segment(repository) + "/" + segment(snapshot)
                                + "/_restore?wait_for_completion=true",
                        restoreBody(globalState))
                .path("snapshot")
                .path("shards");
        if (restored.path("failed").asInt(-1) != 0) {
            throw new ForkrunnerException("the restore of snapshot " + snapshot + " into " + base + " failed on "
                    + restored.path("failed") + " of " + restored.path("total") + " shards");
        }
    }

    /**
     * Begins restoring snapshot {@code snapshot} of repository {@code repository} (every index with its aliases, and
     * the global state when {@code globalState}) without waiting: {@link #recovery} tells how far it got.
     */
    public void startRestore(String repository, String snapshot, boolean globalState) {
        call(
                "POST",
                "/_snapshot/" + segment(repository) + "/" + segment(snapshot) + "/_restore",
                restoreBody(globalState));
    }

    private static ObjectNode restoreBody(boolean globalState) {
        return JSON.createObjectNode()
                .put("indices", "*")
                .put("include_global_state", globalState)
                .put("include_aliases", true);
    }

    /**
     * How far the restore of {@code shards} (the number of shards of each index) got: bytes recovered and in all, and
     * whether every shard's recovery from the snapshot is done.
     */
    public Recovery recovery(Map<String, Integer> shards) {
        long done = 0;
        long total = 0;
        int finished = 0;
        int expected = shards.values().stream().mapToInt(Integer::intValue).sum();
        if (!shards.isEmpty()) {
            String names =
                    shards.keySet().stream().map(OpenSearchClient::segment).collect(Collectors.joining(","));
            for (JsonNode shard : call(
                    "GET",
                    "/_cat/recovery/" + names
                            + "?format=json&bytes=b&ignore_unavailable=true&h=index,shard,type,stage,bytes_recovered,"
                            + "bytes_total",
                    null)) {
                if (shard.path("type").asString("").equals("snapshot")) {
                    done += shard.path("bytes_recovered").asLong(0);
                    total += shard.path("bytes_total").asLong(0);
                    if (shard.path("stage").asString("").equals("done")) {
                        finished++;
                    }
                }
            }
        }
        return new Recovery(done, total, expected, finished, finished == expected);
    }

    /** A restore's recovery: bytes recovered and in all, shards recovering and done, and whether it is complete. */
    public record Recovery(long bytesDone, long bytesTotal, int shards, int shardsDone, boolean complete) {}

    /** The open indices of the cluster, hidden and system ones left out, sorted by name. */
    public List<String> indices() {
        List<String> names = new ArrayList<>();
        for (JsonNode index : call("GET", "/_cat/indices?format=json&h=index&expand_wildcards=open", null)) {
            String name = index.path("index").asString("");
            if (!name.startsWith(".")) {
                names.add(name);
            }
        }
        Collections.sort(names);
        return names;
    }

    /** Deletes index {@code index}, when it is there. */
    public void deleteIndex(String index) {
        call("DELETE", "/" + segment(index) + "?ignore_unavailable=true", null);
    }

    /** Deletes snapshot {@code snapshot} through the cluster: never by deleting the repository's files. */
    public void deleteSnapshot(String repository, String snapshot) {
        call("DELETE", "/_snapshot/" + segment(repository) + "/" + segment(snapshot), null);
    }

    /** The field {@code field} of each element of the array {@code array} that {@code GET path} answers. */
    public List<String> names(String path, String array, String field) {
        List<String> names = new ArrayList<>();
        call("GET", path, null)
                .path(array)
                .forEach(element -> names.add(element.path(field).asString("")));
        return names;
    }

    /** The number of documents of each index, hidden and system ones left out, by name. */
    public Map<String, Long> documentCounts() {
        Map<String, Long> counts = new TreeMap<>();
        for (String index : indices()) {
            counts.put(index, documentCount(index));
        }
        return counts;
    }

    /** The number of documents of index {@code index}. */
    public long documentCount(String index) {
        return call("GET", "/" + segment(index) + "/_count", null).path("count").asLong();
    }

    /** Sends {@code body} (none when null) and returns the answer; a refusal shows the cluster's error. */
    public JsonNode call(String method, String path, JsonNode body) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(base + path));
        if (authorization != null) {
            builder.header("Authorization", authorization.reveal());
        }
        HttpRequest request = builder.timeout(TIMEOUT)
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
