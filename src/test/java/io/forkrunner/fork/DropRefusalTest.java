package io.forkrunner.fork;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.forkrunner.testing.CliResult;
import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestHome;
import io.forkrunner.testing.TestSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** {@code drop} refuses what it must not remove: a fork that does not exist (bad input), a fork a live run is making. */
class DropRefusalTest {

    static final JsonMapper JSON = JsonMapper.builder().build();
    static TestHome home;
    static TestSource source;

    @BeforeAll
    static void sourceWithABackup() {
        home = TestHome.create("drop-refusal");
        source = TestSource.start(home, "shop", "Shop-pw-1912");
        source.sql("create table items as select g as id, md5(g::text) as note from generate_series(1, 5000) g");
        home.addSettings("""
                runs:
                  copy-rate: 2MB
                """);
        home.declareServices(Ports.range(10), source.serviceYaml("eu-local", "{ keep: 1, wal: none }"));
        home.job("slow", """
                source: shop
                target:
                  name: slow-{run}
                """);
        home.backUp("shop");
    }

    @AfterAll
    static void close() {
        home.close();
    }

    @Test
    void droppingAForkThatDoesNotExistIsBadInput() {
        CliResult result = home.cli("drop", "nosuch");

        assertThat(result.exitCode()).as(result.toString()).isEqualTo(2);
        assertThat(result.err()).contains("FORK: \"nosuch\": is not a fork: forkrunner forks lists them");
    }

    @Test
    void droppingAForkALiveRunIsMakingIsRefusedAndTheRunCompletes() throws Exception {
        Process run = home.start("slow-run", Map.of(), "run", "slow");
        JsonNode restoring = await().atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofMillis(500))
                .ignoreExceptions()
                .until(() -> home.runRestoring("slow", TestHome::layingDown), found -> found != null);
        String fork = restoring.path("fork").asText();
        Path directory = home.path("var/regions/eu/" + fork);
        assertThat(directory).exists();

        CliResult refused = home.cli("drop", fork);

        assertThat(refused.exitCode()).as(refused.toString()).isEqualTo(1);
        assertThat(refused.err())
                .contains("dropping " + fork + " is refused: run "
                        + restoring.path("run").asLong() + " is making it, held by ")
                .contains(":" + run.pid() + ". Wait for the run to end, or stop it first");
        assertThat(directory).exists();
        assertThat(run.waitFor(240, TimeUnit.SECONDS)).isTrue();
        assertThat(run.exitValue()).as(home.read("var/log/slow-run.out")).isZero();
        assertThat(home.cli("forks", "--json").out()).contains("\"" + fork + "\"");

        CliResult dropped = home.cli("drop", fork);
        assertThat(dropped.exitCode()).as(dropped.toString()).isZero();
        assertThat(Files.exists(directory)).isFalse();
    }
}
