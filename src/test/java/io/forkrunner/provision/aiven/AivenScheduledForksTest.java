package io.forkrunner.provision.aiven;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkrunner.testing.TestHome;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Every type Aiven forks, forked on a schedule by one {@code serve}: each job's fork is asked for with the backup or
 * time its {@code from} names, completes, and {@code forks} lists it.
 */
class AivenScheduledForksTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String TOKEN = "aiven-token-8a0f";
    /** The types Aiven forks, each with the fork asked of it: to a time (pg, mysql), a backup, or the newest. */
    private static final Map<String, String> TYPES = new LinkedHashMap<>();

    static {
        TYPES.put("pg", "time");
        TYPES.put("mysql", "time");
        TYPES.put("redis", "backup");
        TYPES.put("cassandra", "backup");
        TYPES.put("elasticsearch", "backup");
        TYPES.put("opensearch", "backup");
        TYPES.put("m3db", "newest");
        TYPES.put("grafana", "backup");
    }

    @Test
    void aScheduledForkOfEachTypeCompletesWithTheBackupOrTimeItsJobAsksFor() throws Exception {
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        try (AivenSimulator aiven = AivenSimulator.start(TOKEN);
                TestHome home = TestHome.create("aiven-scheduled")) {
            aiven.readsToRun(1);
            aiven.plan("cassandra", "business-4", 3); // a fork never has fewer nodes than its source
            StringBuilder services = new StringBuilder();
            for (String type : TYPES.keySet()) {
                String source = type + "-prod";
                aiven.addService("acme", source, type, "business-4", type.equals("cassandra") ? 3 : 1);
                aiven.addBackup("acme", source, "backup-" + type + "-old", now.minus(10, ChronoUnit.HOURS));
                aiven.addBackup("acme", source, "backup-" + type + "-new", now.minus(1, ChronoUnit.HOURS));
                if (TYPES.get(type).equals("time")) {
                    aiven.pitr("acme", source, now.minus(1, ChronoUnit.DAYS), null);
                }
                services.append("  %s: { type: %s, region: aiven-eu }\n".formatted(source, type));
                home.job(type + "-dev", """
                        source: %s
                        from: %s
                        schedule:
                          cron: "*/2 * * * * ?"
                        target:
                          name: %s-dev-{run}
                        """.formatted(
                                source, TYPES.get(type).equals("newest") ? "latest" : "-2h", type));
            }
            home.write("var/secrets/aiven", TOKEN);
            home.write("config/services.yml", aiven.servicesYaml("business-4", "", services.toString()));

            Process serve = home.start("serve", Map.of(), "serve");
            try {
                Awaitility.await()
                        .atMost(Duration.ofMinutes(3))
                        .pollInterval(Duration.ofSeconds(1))
                        .until(() -> forkedJobs(home)
                                .containsAll(TYPES.keySet().stream()
                                        .map(type -> type + "-dev")
                                        .toList()));
            } finally {
                serve.destroy();
                serve.waitFor(60, TimeUnit.SECONDS);
            }

            for (String type : TYPES.keySet()) {
                JsonNode body = aiven.calls("POST", "/v1/project/acme/service").stream()
                        .map(AivenSimulator.Call::body)
                        .filter(sent -> sent.path("service_type").asString().equals(type))
                        .findFirst()
                        .orElseThrow();
                JsonNode config = body.path("user_config");
                assertThat(config.path("service_to_fork_from").asString())
                        .as(type)
                        .isEqualTo(type + "-prod");
                switch (TYPES.get(type)) {
                    case "time" -> {
                        assertThat(config.path("recovery_target_time").asString())
                                .as(type)
                                .matches("[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}");
                        assertThat(config.has("recovery_basebackup_name"))
                                .as(type)
                                .isFalse();
                    }
                    case "backup" -> {
                        assertThat(config.path("recovery_basebackup_name").asString())
                                .as(type)
                                .isEqualTo("backup-" + type + "-old");
                        assertThat(config.has("recovery_target_time")).as(type).isFalse();
                    }
                    default ->
                        assertThat(List.of(config.has("recovery_basebackup_name"), config.has("recovery_target_time")))
                                .as(type + ": Aiven forks it from its newest backup, with no choice to send")
                                .containsOnly(false);
                }
            }
        }
    }

    private static Set<String> forkedJobs(TestHome home) {
        Set<String> jobs = new TreeSet<>();
        JSON.readTree(home.cli("forks", "--json").out())
                .forEach(fork -> jobs.add(fork.path("job").asString()));
        return jobs;
    }
}
