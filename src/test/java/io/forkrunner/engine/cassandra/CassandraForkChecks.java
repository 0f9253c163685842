package io.forkrunner.engine.cassandra;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.cql.Row;
import io.forkrunner.engine.Endpoint;
import io.forkrunner.system.Sha256;
import io.forkrunner.testing.CliResult;
import io.forkrunner.testing.TestHome;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What the Cassandra fork tests share: a run killed at a checkpoint and restarted, and what they compare a fork with
 * its source by, its rows' digest and its nodes' sstables.
 */
final class CassandraForkChecks {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private CassandraForkChecks() {}

    /**
     * Runs {@code job} and kills the runner with -9 as soon as every one of {@code checkpoints} exists (polled every
     * 20 ms); the run's id.
     */
    static long runKilledAt(TestHome home, String job, List<Path> checkpoints) throws InterruptedException {
        Process runner = home.start(job + "-run", Map.of(), "run", job);
        Awaitility.await()
                .atMost(Duration.ofMinutes(6))
                .pollInterval(Duration.ofMillis(20))
                .until(() -> checkpoints.stream().allMatch(Files::exists));
        runner.destroyForcibly(); // kill -9
        assertThat(runner.waitFor(30, TimeUnit.SECONDS)).isTrue();
        JsonNode killed =
                home.runRestoring(job, step -> step.path("state").asText().equals("STARTED"));
        assertThat(killed).as("the run, its restore-data step begun").isNotNull();
        return killed.path("run").asLong();
    }

    /** Restarts {@code run}, which completes with its restore-data step run a second time; the run as it ended. */
    static JsonNode restartCompletes(TestHome home, long run) throws Exception {
        CliResult restarted = home.restartOnceReleased(run);
        assertThat(restarted.exitCode()).as(restarted.toString()).isZero();
        JsonNode finished = JSON.readTree(restarted.out());
        assertThat(finished.path("state").asText()).isEqualTo("COMPLETED");
        assertThat(home.executionsPerStep(run)).contains("restore-data|2");
        return finished;
    }

    /** The sstables ({@code -Data.db} files) under {@code root} whose path holds {@code marker}, counted. */
    static long dataFiles(Path root, String marker) throws IOException {
        if (!Files.exists(root)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(file -> file.getFileName().toString().endsWith("-Data.db"))
                    .filter(file -> file.toString().contains(marker))
                    .filter(file -> !file.toString().contains("/snapshots/"))
                    .count();
        }
    }

    /** A SHA-256 over the rows {@code select} reads but the one of id {@code except}, each as text, sorted. */
    static String digest(Endpoint endpoint, String select, int except) {
        List<String> rows = new ArrayList<>();
        try (CassandraCql cql = CassandraCql.open(endpoint)) {
            for (Row row : cql.execute(select)) {
                if (row.getInt("id") != except) {
                    rows.add(row.getFormattedContents());
                }
            }
        }
        rows.sort(null);
        assertThat(rows).isNotEmpty();
        return Sha256.hex(String.join("\n", rows));
    }
}
