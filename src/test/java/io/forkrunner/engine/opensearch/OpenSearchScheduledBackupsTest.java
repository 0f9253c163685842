package io.forkrunner.engine.opensearch;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestHome;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code backups.every} of a search service under {@code serve}: a snapshot each interval, verified, and the oldest
 * beyond {@code keep} deleted through the cluster, so that the repository holds exactly the snapshots kept.
 */
class OpenSearchScheduledBackupsTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Pattern VERIFIED = Pattern.compile("backup (\\S+) of search verified");

    @Test
    void serveSnapshotsEveryIntervalAndTheClusterKeepsTheNewestTwo() throws Exception {
        try (TestHome home = TestHome.create("opensearch-every");
                OpenSearchTestSource source = OpenSearchTestSource.start(home, "search")) {
            source.bulk("{\"index\": {\"_index\": \"notes\", \"_id\": \"1\"}}\n{\"text\": \"kept\"}\n");
            home.declareServices(Ports.range(10), source.serviceYaml("search", "eu-local", "{ keep: 2, every: 2s }"));
            home.start("serve", Map.of(), "serve");

            Awaitility.await()
                    .atMost(Duration.ofSeconds(240))
                    .pollInterval(Duration.ofSeconds(1))
                    .until(() -> verified(home).size() >= 3 && kept(home).size() == 2);
            // one more may be under way meanwhile: what is kept, and the first is gone from the cluster and the disk
            List<String> kept = kept(home);
            String first = verified(home).get(0);
            assertThat(kept).doesNotContain(first);
            assertThat(OpenSearchTestSource.snapshots(source.cluster))
                    .containsAll(
                            kept.stream().map(id -> id.toLowerCase(Locale.ROOT)).toList())
                    .doesNotContain(first.toLowerCase(Locale.ROOT))
                    .hasSizeBetween(2, 3);
            assertThat(home.path("var/backups/search/base").resolve(first)).doesNotExist();
        }
    }

    /** The ids of the VERIFIED backups {@code backups} lists. */
    private static List<String> kept(TestHome home) {
        List<String> ids = new ArrayList<>();
        for (JsonNode backup : backups(home)) {
            if (backup.path("state").asText().equals("VERIFIED")) {
                ids.add(backup.path("id").asText());
            }
        }
        return ids;
    }

    /** The ids of the backups serve's log says were verified, in order. */
    private static List<String> verified(TestHome home) {
        List<String> ids = new ArrayList<>();
        Matcher line = VERIFIED.matcher(home.read("var/log/serve.out"));
        while (line.find()) {
            ids.add(line.group(1));
        }
        return ids;
    }

    private static JsonNode backups(TestHome home) {
        return JSON.readTree(home.cli("backups", "search", "--json").out()).path("backups");
    }
}
