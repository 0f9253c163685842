package io.forkrunner.provision.aiven;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkrunner.testing.TestHome;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A serve shut down while its runs wait on Aiven starts no run after the shutdown began: not a scheduled fire, not a
 * takeover of the runs it has just stopped. Runs on Aiven make this easy to see: they wait on the API, in no server.
 */
class ServeShutdownTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String TOKEN = "aiven-token-33c9";
    private static final Pattern STOPPING = Pattern.compile("shutting down: stopping run (\\d+);");

    @Test
    void aShutdownStartsNoRunAndEndsTheProcess() throws Exception {
        try (AivenSimulator aiven = AivenSimulator.start(TOKEN);
                TestHome home = TestHome.create("serve-shutdown")) {
            aiven.readsToRun(1_000_000); // restores that never end: the runs wait until stopped
            for (String source : List.of("orders", "ledger")) {
                aiven.addService("acme", source, "pg", "startup-4", 1);
                aiven.addBackup(
                        "acme", source, "backup-" + source, Instant.now().minus(1, ChronoUnit.HOURS));
                aiven.pitr("acme", source, Instant.now().minus(1, ChronoUnit.DAYS), null);
                home.job(source + "-dev", """
                        source: %s
                        schedule:
                          cron: "* * * * * ?"
                        target:
                          name: %s-dev-{run}
                        """.formatted(source, source));
            }
            home.write("var/secrets/aiven", TOKEN);
            home.write("config/services.yml", aiven.servicesYaml("startup-4", "", """
                      orders: { type: pg, region: aiven-eu }
                      ledger: { type: pg, region: aiven-eu }
                    """));
            Process serve = home.start("serve", Map.of(), "serve");
            Awaitility.await()
                    .atMost(Duration.ofMinutes(2))
                    .pollInterval(Duration.ofMillis(500))
                    .ignoreExceptions()
                    .until(() -> home.runRestoring("orders-dev", step -> true) != null
                            && home.runRestoring("ledger-dev", step -> true) != null);

            serve.destroy(); // SIGTERM

            assertThat(serve.waitFor(3, TimeUnit.MINUTES))
                    .as("serve ended after SIGTERM")
                    .isTrue();
            String log = home.read("var/log/serve.out");
            String afterShutdown = log.substring(log.indexOf("shutting down"));
            assertThat(afterShutdown).doesNotContain("restarting run");
            TreeSet<Long> stopped = new TreeSet<>();
            Matcher matcher = STOPPING.matcher(log);
            while (matcher.find()) {
                stopped.add(Long.parseLong(matcher.group(1)));
            }
            List<Long> runs = new ArrayList<>();
            JSON.readTree(home.cli("status", "--json").out())
                    .forEach(run -> runs.add(run.path("run").asLong()));
            assertThat(runs)
                    .as("every run was running when the shutdown began, and was stopped by it")
                    .isNotEmpty()
                    .allSatisfy(run -> assertThat(stopped).contains(run));
            for (JsonNode run : JSON.readTree(home.cli("status", "--json").out())) {
                assertThat(run.path("state").asString()).isEqualTo("STOPPED");
            }
        }
    }
}
