package io.forkrunner.engine.opensearch;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkrunner.system.ProcessRunner;
import io.forkrunner.testing.CliResult;
import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestHome;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The one multi-node search case (slow on two cores, so only this one), for OpenSearch and Elasticsearch: a source of
 * two data nodes whose shards lie on both is forked into a cluster of two nodes holding every document of the backup,
 * never into one node; the run killed while it restores, and one of the fork's nodes with it, completes when
 * restarted; the fork's drop stops both nodes.
 */
class OpenSearchNodesTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @ParameterizedTest
    @EnumSource(SearchFamily.class)
    void aTwoNodeSourceForksIntoTwoNodesWithEveryDocumentAndNeverIntoOne(SearchFamily family) throws Exception {
        try (TestHome home = TestHome.create(family.engine() + "-nodes")) {
            ProcessRunner runner = new ProcessRunner(OpenSearchNode.serviceUser());
            Path repository = runner.serviceUser().privateDirectory(home.path("var/backups/search/repository"));
            OpenSearchTestSource.home(family);
            OpenSearchCluster source = new OpenSearchCluster(family, runner, home.path("var/sources/search"));
            source.configure("search", 2, Ports.one(), List.of(repository));
            try {
                source.start();
                OpenSearchClient cluster = new OpenSearchClient(source.uri());
                cluster.call("PUT", "/spread", settings(4, 0));
                cluster.call("PUT", "/copied", settings(1, 1));
                StringBuilder documents = new StringBuilder();
                for (int i = 0; i < 200; i++) {
                    documents
                            .append("{\"index\": {\"_index\": \"")
                            .append(i % 3 == 0 ? "copied" : "spread")
                            .append("\", \"_id\": \"")
                            .append(i)
                            .append("\"}}\n{\"n\": ")
                            .append(i)
                            .append("}\n");
                }
                OpenSearchTestSource.bulk(cluster, documents.toString());
                cluster.call("PUT", "/padding", settings(2, 0));
                OpenSearchTestSource.randomDocuments(cluster, "padding", 2000, 7); // ~8 MB: seconds to restore
                assertThat(nodesHolding(cluster, "spread"))
                        .as("the source's shards lie on both its nodes")
                        .hasSize(2);

                home.addSettings("""
                        runs:
                          lease: 6s
                          copy-rate: 1MB
                        """);
                home.declareServices(Ports.range(10), """
                          search:
                            engine: %s
                            region: eu-local
                            host: 127.0.0.1
                            port: %d
                            backups: { keep: 1 }
                        """.formatted(
                                family.engine(), source.uri().getPort()));
                home.job("search-dev", """
                        source: search
                        target:
                          name: search-dev-{run}
                        """);
                home.job("search-one", """
                        source: search
                        target:
                          name: search-one-{run}
                          nodes: 1
                        """);
                assertThat(home.cli("validate").exitCode()).isZero();
                home.backUp("search");

                CliResult refused = home.cli("run", "search-one");
                assertThat(refused.exitCode()).as(refused.toString()).isEqualTo(1);
                assertThat(refused.toString())
                        .contains("its source had 2 data nodes and the job's target asks for 1")
                        .contains("never has fewer data nodes");
                assertThat(home.path("var/regions/eu")).as("nothing was made").doesNotExist();

                // the run killed -9 while it restores, and the fork's node 2 with it: the restart starts node 2 again,
                // has it join node 1, and restores the snapshot whole once more
                JsonNode running = home.killWhileRestoring("search-dev", OpenSearchTestSource::restoring);
                long run = running.path("run").asLong();
                String fork = running.path("fork").asString();
                Path directory = home.path("var/regions/eu").resolve(fork);
                long second =
                        Long.parseLong(Files.readString(directory.resolve("node-2/run/" + family.engine() + ".pid"))
                                .strip());
                ProcessHandle.of(second).ifPresent(ProcessHandle::destroyForcibly);
                Awaitility.await()
                        .atMost(Duration.ofSeconds(60))
                        .until(() -> ProcessHandle.of(second).isEmpty());
                assertThat(nodesRunningIn(directory)).containsExactly(directory + "/config");

                CliResult restarted = home.restartOnceReleased(run);
                assertThat(restarted.exitCode()).as(restarted.toString()).isZero();
                JsonNode finished = JSON.readTree(restarted.out());
                assertThat(finished.path("state").asString()).isEqualTo("COMPLETED");
                assertThat(finished.path("fork").asString()).isEqualTo(fork);
                assertThat(home.executionsPerStep(run)).contains("restore-data|2");
                JsonNode restore = TestHome.step(
                                JSON.readTree(home.cli("status", String.valueOf(run), "--json")
                                        .out()),
                                "restore-data")
                        .path("report");
                assertThat(restore.path("lay-down").asString()).contains("the fork's 2 nodes read");
                assertThat(restore.path("compared-with-backup").asString()).startsWith("equal: 2200 documents in 3");

                OpenSearchClient forked = new OpenSearchClient(URI.create("http://127.0.0.1:" + home.forkPort(fork)));
                assertThat(forked.dataNodes()).isEqualTo(2);
                assertThat(forked.indices()).containsExactly("copied", "padding", "spread");
                assertThat(forked.documentCounts()).isEqualTo(cluster.documentCounts());
                assertThat(nodesHolding(forked, "spread"))
                        .as("the fork's shards lie on both its nodes")
                        .hasSize(2);

                assertThat(nodesRunningIn(directory))
                        .containsExactly(directory + "/config", directory + "/node-2/config");
                CliResult dropped = home.cli("drop", fork);
                assertThat(dropped.exitCode()).as(dropped.toString()).isZero();
                assertThat(nodesRunningIn(directory)).isEmpty();
                assertThat(directory).doesNotExist();
            } finally {
                source.stop();
            }
        }
    }

    private static JsonNode settings(int shards, int replicas) {
        return JSON.readTree(
                "{\"settings\": {\"number_of_shards\": %d, \"number_of_replicas\": %d}}".formatted(shards, replicas));
    }

    /** The nodes that hold a started primary shard of {@code index}. */
    private static Set<String> nodesHolding(OpenSearchClient cluster, String index) {
        Set<String> nodes = new TreeSet<>();
        for (JsonNode shard : cluster.call("GET", "/_cat/shards/" + index + "?format=json&h=prirep,state,node", null)) {
            if (shard.path("prirep").asString("").equals("p")
                    && shard.path("state").asString("").equals("STARTED")) {
                nodes.add(shard.path("node").asString(""));
            }
        }
        return nodes;
    }

    /** The configuration directories under {@code directory} that running nodes were started with: the fork's nodes. */
    private static Set<String> nodesRunningIn(Path directory) {
        Pattern conf = Pattern.compile("\\.path\\.conf=(" + Pattern.quote(directory.toString()) + "/\\S*)");
        Set<String> nodes = new TreeSet<>();
        ProcessHandle.allProcesses()
                .map(process -> conf.matcher(process.info().commandLine().orElse("")))
                .filter(Matcher::find)
                .forEach(found -> nodes.add(found.group(1)));
        return nodes;
    }
}
