package io.forkrunner.engine.opensearch;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkrunner.system.ProcessRunner;
import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestHome;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * OpenSearch nodes started by forkrunner from the home the test command assembles from Maven Central: a source's
 * indices, alias, template and stored script, snapshotted into an {@code fs} repository with the global state, come
 * back whole in a new node restored from it; each node stops on SIGTERM.
 */
class OpenSearchNodeTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    /** The OpenSearch home: {@code FORKRUNNER_TEST_OPENSEARCH_HOME}, else the one the test command assembles. */
    static Path home() {
        Path home = Path.of(System.getenv().getOrDefault("FORKRUNNER_TEST_OPENSEARCH_HOME", "target/opensearch-2.19.6"))
                .toAbsolutePath();
        assertThat(home.resolve("lib"))
                .as("an OpenSearch home; run-tests assembles it with mvn -f src/opensearch/pom.xml package")
                .isDirectory();
        return home;
    }

    @Test
    void aSnapshotWithTheGlobalStateRestoresIntoANewNodeWithItsIndicesAliasTemplateAndScript() throws Exception {
        try (TestHome home = TestHome.create("opensearch-node")) {
            ProcessRunner runner = new ProcessRunner(OpenSearchNode.serviceUser());
            Path repository = home.path("var/backups/search");
            runner.serviceUser().privateDirectory(repository);
            OpenSearchNode source = new OpenSearchNode(runner, home(), home.path("var/sources/search"));
            source.start("search", Ports.one(), Ports.one(), List.of(repository));
            try {
                call(source, "PUT", "/recipes", """
                        {"settings": {"number_of_shards": 2, "number_of_replicas": 0,
                          "analysis": {"analyzer": {"folded": {"tokenizer": "standard",
                            "filter": ["lowercase", "asciifolding"]}}}},
                         "mappings": {"properties": {"title": {"type": "text", "analyzer": "folded"}}},
                         "aliases": {"cookbook": {}}}""");
                for (int i = 1; i <= 20; i++) {
                    call(source, "PUT", "/recipes/_doc/" + i, "{\"title\": \"Crème Brûlée " + i + "\"}");
                }
                call(source, "PUT", "/_index_template/logs", """
                        {"index_patterns": ["logs-*"], "template": {"settings": {"number_of_replicas": 0}}}""");
                call(source, "PUT", "/_scripts/double", """
                        {"script": {"lang": "painless", "source": "doc['price'].value * 2"}}""");
                call(source, "POST", "/recipes/_refresh", "");
                call(
                        source,
                        "PUT",
                        "/_snapshot/store",
                        "{\"type\": \"fs\", \"settings\": {\"location\": \"" + repository + "\"}}");
                JsonNode snapshot = call(
                        source,
                        "PUT",
                        "/_snapshot/store/one?wait_for_completion=true",
                        "{\"indices\": \"*\", \"include_global_state\": true}");
                assertThat(snapshot.path("snapshot").path("state").asString()).isEqualTo("SUCCESS");
                assertThat(snapshot.path("snapshot")
                                .path("shards")
                                .path("failed")
                                .asInt())
                        .isZero();
            } finally {
                source.stop();
            }
            assertThat(source.isRunning()).isFalse();

            OpenSearchNode fork = new OpenSearchNode(runner, home(), home.path("var/regions/eu/search-1"));
            fork.start("search-1", Ports.one(), Ports.one(), List.of(repository));
            try {
                call(
                        fork,
                        "PUT",
                        "/_snapshot/store",
                        "{\"type\": \"fs\", \"settings\": {\"location\": \"" + repository + "\", \"readonly\": true}}");
                call(
                        fork,
                        "POST",
                        "/_snapshot/store/one/_restore?wait_for_completion=true",
                        "{\"indices\": \"*\", \"include_global_state\": true, \"include_aliases\": true}");
                assertThat(call(fork, "GET", "/recipes/_count", "")
                                .path("count")
                                .asInt())
                        .isEqualTo(20);
                assertThat(call(fork, "POST", "/cookbook/_search", """
                                {"query": {"match": {"title": "creme brulee 7"}}, "size": 1}""")
                                .path("hits")
                                .path("hits")
                                .get(0)
                                .path("_id")
                                .asString())
                        .isEqualTo("7");
                assertThat(call(fork, "GET", "/_index_template/logs", "")
                                .path("index_templates")
                                .get(0)
                                .path("name")
                                .asString())
                        .isEqualTo("logs");
                assertThat(call(fork, "GET", "/_scripts/double", "")
                                .path("script")
                                .path("source")
                                .asString())
                        .isEqualTo("doc['price'].value * 2");
            } finally {
                fork.stop();
            }
            assertThat(fork.isRunning()).isFalse();
        }
    }

    /** Sends {@code body} (JSON, or nothing when empty) and returns the answer, which must be a success. */
    private static JsonNode call(OpenSearchNode node, String method, String path, String body) throws Exception {
        HttpResponse<String> response = HTTP.send(
                HttpRequest.newBuilder(URI.create(node.uri() + path))
                        .header("Content-Type", "application/json")
                        .method(
                                method,
                                body.isEmpty()
                                        ? HttpRequest.BodyPublishers.noBody()
                                        : HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode())
                .as(method + " " + path + ": " + response.body())
                .isBetween(200, 299);
        return JSON.readTree(response.body());
    }
}
