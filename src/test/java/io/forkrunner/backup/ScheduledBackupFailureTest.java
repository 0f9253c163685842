package io.forkrunner.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.forkrunner.testing.CliResult;
import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestHome;
import io.forkrunner.testing.TestSource;
import io.forkrunner.testing.WebhookReceiver;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A scheduled base backup that fails under {@code serve} (the source refuses its login) is counted in
 * {@code forkrunner_backup_failures_total}, kept by {@code backups} with its error, and notified to the service's
 * receivers; the WAL a streaming service's slot retains is a metric.
 */
class ScheduledBackupFailureTest {

    static final JsonMapper JSON = JsonMapper.builder().build();
    static TestHome home;
    static TestSource source;
    static WebhookReceiver receiver;
    static String api;

    @BeforeAll
    static void serve() throws Exception {
        home = TestHome.create("backup-failure");
        source = TestSource.start(home, "shop", "Shop-pw-71d0c");
        home.write("var/secrets/wrong", "Not-the-pw-2b");
        receiver = WebhookReceiver.start();
        String broken = source.serviceYamlAs("broken", "eu-local", "{ every: 3s, keep: 2, wal: none }")
                        .replace("${file:var/secrets/shop}", "${file:var/secrets/wrong}")
                + """
                    notifications:
                      - { on: backup-failure, url: "%s" }
                """.formatted(receiver.url("/backups"));
        home.declareServices(Ports.range(10), source.serviceYaml("eu-local", "{ keep: 2, wal: stream }"), broken);
        home.start("serve", Map.of(), "serve");
        api = home.apiBase("serve");
    }

    @AfterAll
    static void close() {
        if (receiver != null) {
            receiver.close();
        }
        home.close();
    }

    @Test
    void aFailedScheduledBackupIsCountedShownWithItsErrorAndNotified() throws Exception {
        JsonNode notification = await().atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofSeconds(1))
                .until(() -> receiver.first("backup.failed"), body -> body != null);
        assertThat(notification.path("service").asText()).isEqualTo("broken");
        assertThat(notification.path("error").asText()).contains("password authentication failed");
        assertThat(notification.toString()).doesNotContain("Not-the-pw-2b").doesNotContain(source.password());

        double failures = metric("forkrunner_backup_failures_total\\{service=\"broken\",?\\}");
        assertThat(failures).isGreaterThanOrEqualTo(1);
        JsonNode report = report("broken");
        long failed = 0;
        for (JsonNode backup : report.path("backups")) {
            if (backup.path("state").asText().equals("FAILED")) {
                failed++;
                assertThat(backup.path("error").asText()).contains("password authentication failed");
            }
        }
        assertThat(failed).as("each counted failure is kept with its error").isGreaterThanOrEqualTo((long) failures);
        assertThat(home.cli("backups", "broken").out())
                .containsPattern("(?s)backup [0-9TZ-]+ failed: .*password authentication failed");
        assertThat(metric("forkrunner_backup_failures_total\\{service=\"shop\",?\\}"))
                .as("a service whose backups do not fail")
                .isZero();
    }

    @Test
    void theWalAStreamingServicesSlotRetainsIsAMetric() throws Exception {
        double retained = await().atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofSeconds(1))
                .ignoreExceptions()
                .until(
                        () -> metric("forkrunner_wal_slot_retained_bytes\\{service=\"shop\",?\\}"),
                        value -> !value.isNaN());
        assertThat(retained).isBetween(0.0, 16.0 * 1024 * 1024);
        assertThat(metric("forkrunner_wal_slot_retained_bytes\\{service=\"broken\",?\\}"))
                .as("a service without a slot")
                .isNaN();
    }

    private static double metric(String series) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create(api + "/actuator/prometheus"))
                                .header("Authorization", "Bearer " + TestHome.VIEWER_TOKEN)
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        Matcher matcher =
                Pattern.compile("(?m)^" + series + " ([0-9.eE+-]+|NaN)$").matcher(response.body());
        assertThat(matcher.find()).as(series + " in\n" + response.body()).isTrue();
        return Double.parseDouble(matcher.group(1));
    }

    private static JsonNode report(String service) {
        CliResult result = home.cli("backups", service, "--json");
        assertThat(result.exitCode()).as(result.toString()).isZero();
        return JSON.readTree(result.out());
    }
}
