package io.forkrunner.engine.opensearch;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkrunner.system.ProcessRunner;
import io.forkrunner.testing.CliResult;
import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestHome;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * OpenSearch forks of a real source node of the test's own: two indices (one with a custom analyzer and an alias) and
 * a bulk one, an index template, an ingest pipeline, a stored script and a persistent cluster setting, snapshotted by
 * {@code backup} into forkrunner's repository; documents written after it. Each fork is a new node of forkrunner's
 * that restores the snapshot, compared with the source as it was at the backup.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OpenSearchForkTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String SERVICE = "search";
    /** Documents of random text: some megabytes, restored slowly enough (copy-rate 2MB) for the kill test. */
    private static final int BULK_DOCUMENTS = 600;

    private TestHome home;
    private OpenSearchNode source;
    private OpenSearchClient cluster;
    private Map<String, Long> atBackup;
    private JsonNode backup;

    @BeforeAll
    void startSourceAndBackItUp() {
        home = TestHome.create("opensearch-fork");
        ProcessRunner runner = new ProcessRunner(OpenSearchNode.serviceUser());
        // as an operator sets a cluster up for forkrunner: the repository is the cluster's to write, in its path.repo
        Path repository = runner.serviceUser().privateDirectory(home.path("var/backups/" + SERVICE + "/repository"));
        source = new OpenSearchNode(runner, OpenSearchNodeTest.home(), home.path("var/sources/" + SERVICE));
        source.start(SERVICE, Ports.one(), 0, List.of(repository));
        cluster = new OpenSearchClient(source.uri());
        cluster.call("PUT", "/recipes", json("""
                {"settings": {"number_of_shards": 2, "number_of_replicas": 0,
                  "analysis": {"analyzer": {"folded": {"tokenizer": "standard",
                    "filter": ["lowercase", "asciifolding"]}}}},
                 "mappings": {"properties": {"title": {"type": "text", "analyzer": "folded"}}},
                 "aliases": {"cookbook": {}}}"""));
        for (int i = 1; i <= 20; i++) {
            cluster.call("PUT", "/recipes/_doc/" + i, json("{\"title\": \"Crème Brûlée " + i + "\"}"));
        }
        cluster.call("PUT", "/notes", json("{\"settings\": {\"number_of_replicas\": 0}}"));
        cluster.call("PUT", "/notes/_doc/1", json("{\"text\": \"one\"}"));
        cluster.call("PUT", "/bulk", json("{\"settings\": {\"number_of_replicas\": 0}}"));
        Random random = new Random(11);
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < BULK_DOCUMENTS; i++) {
            byte[] bytes = new byte[3000];
            random.nextBytes(bytes);
            lines.append("{\"index\": {\"_index\": \"bulk\", \"_id\": \"")
                    .append(i)
                    .append("\"}}\n");
            lines.append("{\"blob\": \"")
                    .append(Base64.getEncoder().encodeToString(bytes))
                    .append("\"}\n");
        }
        bulk(lines.toString());
        cluster.call("PUT", "/_index_template/logs", json("""
                {"index_patterns": ["logs-*"], "template": {"settings": {"number_of_replicas": 0}}}"""));
        cluster.call("PUT", "/_ingest/pipeline/stamp", json("""
                {"processors": [{"set": {"field": "stamped", "value": true}}]}"""));
        cluster.call("PUT", "/_scripts/double", json("""
                {"script": {"lang": "painless", "source": "doc['price'].value * 2"}}"""));
        cluster.call("PUT", "/_cluster/settings", json("""
                {"persistent": {"search.default_search_timeout": "37s"}}"""));
        cluster.call("POST", "/_refresh", null);

        home.addSettings("""
                runs:
                  lease: 6s
                  copy-rate: 2MB
                """);
        home.declareServices(
                Ports.range(10), """
                  %s:
                    engine: opensearch
                    region: eu-local
                    host: 127.0.0.1
                    port: %d
                    backups: { keep: 1 }
                """.formatted(SERVICE, source.uri().getPort()));
        home.job("search", """
                source: %s
                target:
                  name: search-{run}
                """.formatted(SERVICE));
        home.backUp(SERVICE);
        atBackup = cluster.documentCounts();
        cluster.call("PUT", "/notes/_doc/2?refresh=true", json("{\"text\": \"written after the backup\"}"));
        JsonNode backups =
                JSON.readTree(home.cli("backups", SERVICE, "--json").out()).path("backups");
        assertThat(backups).hasSize(1);
        backup = backups.get(0);
        assertThat(backup.path("state").asText()).isEqualTo("VERIFIED");
    }

    @AfterAll
    void close() {
        try {
            if (source != null) {
                source.stop();
            }
        } finally {
            home.close();
        }
    }

    @Test
    @Order(1)
    void aForkFromTheLatestSnapshotHoldsItsIndicesAnalyzerAliasTemplatePipelineScriptAndSetting() {
        assertThat(atBackup).isEqualTo(Map.of("recipes", 20L, "notes", 1L, "bulk", (long) BULK_DOCUMENTS));
        CliResult run = home.cli("run", "search", "--json");
        assertThat(run.exitCode()).as(run.toString()).isZero();
        JsonNode finished = JSON.readTree(run.out());
        OpenSearchClient fork = forkCluster(finished);

        assertThat(fork.documentCounts()).isEqualTo(atBackup);
        assertThat(cluster.documentCount("notes")).isEqualTo(2L);
        assertThat(fork.call("POST", "/cookbook/_search", json("""
                                {"query": {"match": {"title": "creme brulee 7"}}, "size": 1}"""))
                        .path("hits")
                        .path("hits")
                        .get(0)
                        .path("_id")
                        .asString())
                .isEqualTo("7");
        String analyze = """
                {"analyzer": "folded", "text": "Crème Brûlée À LA CARTE"}""";
        assertThat(fork.call("POST", "/recipes/_analyze", json(analyze)))
                .isEqualTo(cluster.call("POST", "/recipes/_analyze", json(analyze)));
        assertThat(fork.call("GET", "/_index_template/logs", null).path("index_templates"))
                .isEqualTo(cluster.call("GET", "/_index_template/logs", null).path("index_templates"));
        assertThat(fork.call("GET", "/_ingest/pipeline/stamp", null))
                .isEqualTo(cluster.call("GET", "/_ingest/pipeline/stamp", null));
        assertThat(fork.call("GET", "/_scripts/double", null)).isEqualTo(cluster.call("GET", "/_scripts/double", null));
        assertThat(fork.call("GET", "/_cluster/settings", null)
                        .path("persistent")
                        .path("search")
                        .path("default_search_timeout")
                        .asString())
                .isEqualTo("37s");
        assertThat(fork.call("GET", "/_snapshot/forkrunner", null)
                        .path("forkrunner")
                        .path("settings")
                        .path("readonly")
                        .asString())
                .isEqualTo("true");

        JsonNode status = JSON.readTree(
                home.cli("status", finished.path("run").asText(), "--json").out());
        assertThat(TestHome.step(status, "pick-backup")
                        .path("report")
                        .path("holds")
                        .asText())
                .contains(backup.path("id").asText());
        assertThat(TestHome.step(status, "restore-data")
                        .path("report")
                        .path("compared-with-backup")
                        .asText())
                .isEqualTo("equal: " + (21 + BULK_DOCUMENTS) + " documents in 3 indices");
        assertThat(TestHome.step(status, "copy-users-and-pools").path("report").toString())
                .contains("not applicable to opensearch");
    }

    @Test
    @Order(2)
    void aRunKilledDuringTheRestoreRestoresAgainWithoutADuplicateIndexAndAnEqualFork() throws Exception {
        JsonNode running = home.killWhileRestoring(
                "search",
                step -> step.path("state").asText().equals("STARTED")
                        && step.path("progress").asText().startsWith("bytes restored")
                        && !step.path("progress").asText().startsWith("bytes restored: 0 "));
        long run = running.path("run").asLong();

        CliResult restarted = home.restartOnceReleased(run);
        assertThat(restarted.exitCode()).as(restarted.toString()).isZero();
        JsonNode finished = JSON.readTree(restarted.out());
        assertThat(home.executionsPerStep(run)).contains("pick-backup|1", "restore-data|2", "verify|1");
        OpenSearchClient fork = forkCluster(finished);
        assertThat(fork.documentCounts()).isEqualTo(atBackup);
        List<String> indices = new ArrayList<>();
        for (JsonNode index : fork.call("GET", "/_cat/indices?format=json&h=index&expand_wildcards=all", null)) {
            indices.add(index.path("index").asString());
        }
        assertThat(indices.stream().filter(index -> !index.startsWith(".")))
                .containsExactlyInAnyOrder("recipes", "notes", "bulk");
    }

    @Test
    @Order(3)
    void backupsBeyondKeepAreDeletedThroughTheClusterAndChecksAreRefused() throws IOException {
        home.backUp(SERVICE);
        List<String> snapshots = new ArrayList<>();
        for (JsonNode snapshot :
                cluster.call("GET", "/_snapshot/forkrunner/_all", null).path("snapshots")) {
            snapshots.add(snapshot.path("snapshot").asString());
        }
        assertThat(snapshots)
                .hasSize(1)
                .doesNotContain(backup.path("id").asText().toLowerCase());
        assertThat(Path.of(backup.path("directory").asText())).doesNotExist();

        home.job("checked", """
                source: %s
                target:
                  name: checked-{run}
                checks:
                  - select 1
                """.formatted(SERVICE));
        CliResult refused = home.cli("validate");
        assertThat(refused.exitCode()).as(refused.toString()).isEqualTo(2);
        assertThat(refused.err()).contains("jobs/checked.yml", "checks", "is not applicable to opensearch");
        Files.delete(home.path("jobs/checked.yml"));
    }

    @Test
    @Order(4)
    void aSnapshotWhoseFileChangedInTheRepositoryIsRefusedAsDamagedBeforeAnythingIsMade() throws Exception {
        Path repository = home.path("var/backups/" + SERVICE + "/repository");
        Path blob;
        try (Stream<Path> files = Files.walk(repository)) {
            blob = files.filter(file -> file.getFileName().toString().startsWith("__"))
                    .max((a, b) -> Long.compare(a.toFile().length(), b.toFile().length()))
                    .orElseThrow();
        }
        String newest = JSON.readTree(home.cli("backups", SERVICE, "--json").out())
                .path("backups")
                .get(0)
                .path("id")
                .asText();
        flip(blob);
        try {
            int forksBefore = JSON.readTree(home.cli("forks", "--json").out()).size();
            CliResult refused = home.cli("run", "search");
            assertThat(refused.exitCode()).as(refused.toString()).isEqualTo(1);
            assertThat(refused.out() + refused.err())
                    .contains(newest + " of " + SERVICE, "is damaged", "does not match its checksum");
            assertThat(JSON.readTree(home.cli("forks", "--json").out()).size()).isEqualTo(forksBefore);
        } finally {
            flip(blob);
        }
    }

    private OpenSearchClient forkCluster(JsonNode finished) {
        return new OpenSearchClient(URI.create(
                "http://127.0.0.1:" + home.forkPort(finished.path("fork").asText())));
    }

    private void bulk(String lines) {
        try {
            HttpResponse<String> response = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create(source.uri() + "/_bulk?refresh=true"))
                                    .header("Content-Type", "application/x-ndjson")
                                    .POST(HttpRequest.BodyPublishers.ofString(lines))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(JSON.readTree(response.body()).path("errors").asBoolean(true))
                    .as(response.body()
                            .substring(0, Math.min(500, response.body().length())))
                    .isFalse();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void flip(Path file) throws IOException {
        try (RandomAccessFile bytes = new RandomAccessFile(file.toFile(), "rw")) {
            long middle = bytes.length() / 2;
            bytes.seek(middle);
            int b = bytes.read();
            bytes.seek(middle);
            bytes.write(b ^ 0x01);
        }
    }

    private static JsonNode json(String text) {
        return JSON.readTree(text);
    }
}
