package io.forkrunner.engine.opensearch;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestHome;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * {@code backups.every} of a search service under {@code serve}: a snapshot each interval, verified, and the oldest
 * beyond {@code keep} deleted through the cluster, so that the repository holds exactly the snapshots kept.
 */
class OpenSearchScheduledBackupsTest {

    @Test
    void serveSnapshotsEveryIntervalAndTheClusterKeepsTheNewestTwo() throws Exception {
        try (TestHome home = TestHome.create("opensearch-every");
                OpenSearchTestSource source = OpenSearchTestSource.start(home, "search")) {
            source.bulk("{\"index\": {\"_index\": \"notes\", \"_id\": \"1\"}}\n{\"text\": \"kept\"}\n");
            home.declareServices(Ports.range(10), source.serviceYaml("search", "eu-local", "{ keep: 2, every: 2s }"));
            TestHome.PrunedBackups pruned = home.serveUntilPruned("search");
            List<String> kept = pruned.kept();
            String first = pruned.first();
            assertThat(kept).doesNotContain(first);
            assertThat(OpenSearchTestSource.snapshots(source.cluster))
                    .containsAll(
                            kept.stream().map(id -> id.toLowerCase(Locale.ROOT)).toList())
                    .doesNotContain(first.toLowerCase(Locale.ROOT))
                    .hasSizeBetween(2, 3);
            assertThat(home.path("var/backups/search/base").resolve(first)).doesNotExist();
        }
    }
}
