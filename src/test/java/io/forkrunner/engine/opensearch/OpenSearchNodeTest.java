package io.forkrunner.engine.opensearch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.ProcessRunner;
import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestHome;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * OpenSearch nodes started by forkrunner from the home the test command assembles from Maven Central: a source's
 * indices, alias, template and stored script, snapshotted into an {@code fs} repository with the global state, come
 * back whole in a new node restored from it, which cannot write into the repository; each node stops on SIGTERM.
 */
class OpenSearchNodeTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** The OpenSearch home, as forkrunner finds it: {@code FORKRUNNER_OPENSEARCH_HOME}, else the one the test command assembles. */
    static Path home() {
        Path home = Path.of(System.getenv().getOrDefault("FORKRUNNER_OPENSEARCH_HOME", "target/opensearch-2.19.6"))
                .toAbsolutePath();
        assertThat(home.resolve("lib"))
                .as("an OpenSearch home; run-tests assembles it with mvn -f src/opensearch/pom.xml package")
                .isDirectory();
        return home;
    }

    @Test
    void aSnapshotWithTheGlobalStateRestoresIntoANewNodeWithItsIndicesAliasTemplateAndScript() {
        try (TestHome home = TestHome.create("opensearch-node")) {
            ProcessRunner runner = new ProcessRunner(OpenSearchNode.serviceUser());
            Path repository = home.path("var/backups/search/repository");
            runner.serviceUser().privateDirectory(repository);
            OpenSearchNode source = new OpenSearchNode(runner, home(), home.path("var/sources/search"));
            source.start("search", Ports.one(), Ports.one(), List.of(repository));
            try {
                OpenSearchClient cluster = new OpenSearchClient(source.uri());
                cluster.call("PUT", "/recipes", json("""
                        {"settings": {"number_of_shards": 2, "number_of_replicas": 0,
                          "analysis": {"analyzer": {"folded": {"tokenizer": "standard",
                            "filter": ["lowercase", "asciifolding"]}}}},
                         "mappings": {"properties": {"title": {"type": "text", "analyzer": "folded"}}},
                         "aliases": {"cookbook": {}}}"""));
                for (int i = 1; i <= 20; i++) {
                    cluster.call("PUT", "/recipes/_doc/" + i, json("{\"title\": \"Crème Brûlée " + i + "\"}"));
                }
                cluster.call("PUT", "/notes/_doc/1", json("{\"text\": \"one\"}"));
                cluster.call("PUT", "/_index_template/logs", json("""
                        {"index_patterns": ["logs-*"], "template": {"settings": {"number_of_replicas": 0}}}"""));
                cluster.call("PUT", "/_scripts/double", json("""
                        {"script": {"lang": "painless", "source": "doc['price'].value * 2"}}"""));
                cluster.call("POST", "/_refresh", null);
                cluster.registerRepository("store", repository, false);
                cluster.snapshot("store", "one");
                assertThat(cluster.documentCounts()).isEqualTo(Map.of("recipes", 20L, "notes", 1L));
            } finally {
                source.stop();
            }
            assertThat(source.isRunning()).isFalse();

            OpenSearchNode fork = new OpenSearchNode(runner, home(), home.path("var/regions/eu/search-1"));
            fork.start("search-1", Ports.one(), Ports.one(), List.of(repository));
            try {
                OpenSearchClient cluster = new OpenSearchClient(fork.uri());
                cluster.registerRepository("store", repository, true);
                cluster.restore("store", "one", true);
                assertThat(cluster.documentCounts()).isEqualTo(Map.of("recipes", 20L, "notes", 1L));
                assertThat(cluster.call("POST", "/cookbook/_search", json("""
                                        {"query": {"match": {"title": "creme brulee 7"}}, "size": 1}"""))
                                .path("hits")
                                .path("hits")
                                .get(0)
                                .path("_id")
                                .asString())
                        .isEqualTo("7");
                assertThat(cluster.call("GET", "/_index_template/logs", null)
                                .path("index_templates")
                                .get(0)
                                .path("name")
                                .asString())
                        .isEqualTo("logs");
                assertThat(cluster.call("GET", "/_scripts/double", null)
                                .path("script")
                                .path("source")
                                .asString())
                        .isEqualTo("doc['price'].value * 2");
                assertThatThrownBy(() -> cluster.snapshot("store", "two"))
                        .isInstanceOf(ForkrunnerException.class)
                        .hasMessageContaining("refused PUT /_snapshot/store/two")
                        .hasMessageContaining("readonly");
                assertThatThrownBy(() -> cluster.restore("store", "missing", true))
                        .isInstanceOf(ForkrunnerException.class)
                        .hasMessageContaining("[store:missing] snapshot does not exist");
            } finally {
                fork.stop();
            }
            assertThat(fork.isRunning()).isFalse();
        }
    }

    private static JsonNode json(String text) {
        return JSON.readTree(text);
    }
}
