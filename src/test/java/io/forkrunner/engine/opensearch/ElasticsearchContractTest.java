package io.forkrunner.engine.opensearch;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkrunner.engine.Endpoint;
import io.forkrunner.testing.CliResult;
import io.forkrunner.testing.TestHome;
import java.nio.file.Files;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Elasticsearch 7.10.2 keeps the engine contract as OpenSearch does: nodes of the home assembled from Maven Central
 * ({@code src/elasticsearch/pom.xml}), snapshots into forkrunner's repository, forks restored into new nodes. Then the
 * same backup forked into OpenSearch ({@code target.engine: opensearch}), as Aiven moved its Elasticsearch services.
 */
class ElasticsearchContractTest extends SearchContractTest {

    @Override
    SearchFamily family() {
        return SearchFamily.ELASTICSEARCH;
    }

    @Test
    @Order(6)
    void theElasticsearchBackupForksIntoOpenSearchWithTheSameRecords() throws Exception {
        home().job("into-opensearch", """
                source: origin
                target:
                  name: into-opensearch-{run}
                  engine: opensearch
                """);
        CliResult run = home().cli("run", "into-opensearch", "--json");
        assertThat(run.exitCode()).as(run.toString()).isZero();
        JsonNode finished = JSON.readTree(run.out());
        Endpoint fork =
                new Endpoint("127.0.0.1", home().forkPort(finished.path("fork").asText()), "", null);
        JsonNode version = cluster(fork).call("GET", "/", null).path("version");
        assertThat(version.path("distribution").asString()).isEqualTo("opensearch");
        assertThat(version.path("number").asString()).startsWith("2.");
        assertThat(records(fork)).hasSize(400).allMatch(record -> Integer.parseInt(record.split("\\|")[0]) <= 400);
        assertThat(cluster(fork).documentCount("padding")).isEqualTo(PADDING);
        JsonNode status = JSON.readTree(
                home().cli("status", finished.path("run").asText(), "--json").out());
        assertThat(TestHome.step(status, "restore-data")
                        .path("report")
                        .path("compared-with-backup")
                        .asText())
                .startsWith("equal: " + (400 + PADDING) + " documents in 2 indices");
        JsonNode record = null;
        for (JsonNode each : JSON.readTree(home().cli("forks", "--json").out())) {
            if (each.path("name").asText().equals(finished.path("fork").asText())) {
                record = each;
            }
        }
        assertThat(record).isNotNull();
        assertThat(record.path("engine").asText()).isEqualTo("opensearch");

        home().job("into-postgres", """
                source: origin
                target:
                  name: into-postgres-{run}
                  engine: postgresql
                """);
        CliResult refused = home().cli("validate");
        assertThat(refused.exitCode()).as(refused.toString()).isEqualTo(2);
        assertThat(refused.err())
                .contains("jobs/into-postgres.yml:4: target.engine: \"postgresql\": is not an engine this fork can be"
                        + " made with");
        Files.delete(home().path("jobs/into-postgres.yml"));
    }
}
