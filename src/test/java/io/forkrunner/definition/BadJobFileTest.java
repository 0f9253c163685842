package io.forkrunner.definition;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkrunner.system.Problem;
import io.forkrunner.testing.CliResult;
import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestHome;
import io.forkrunner.testing.TestSource;
import java.io.IOException;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A job file that cannot be read blocks only its own job: validate still refuses it (exit 2, naming it), running it is
 * refused naming its file, and every other job still runs.
 */
class BadJobFileTest {

    @Test
    void anUnreadableJobFileLeavesOutItsJobOnlyWhenReadForRuns() throws IOException {
        DefinitionHome home = DefinitionHome.create().job("nightly", DefinitionHome.JOB);
        Files.createDirectories(home.root().resolve("jobs/broken.yml")); // a .yml nobody can read as a file

        Definitions definitions = home.readForRuns();

        assertThat(definitions.jobs()).containsOnlyKeys("nightly");
        assertThat(definitions.refused()).containsOnlyKeys("broken");
        Problem problem = definitions.refused().get("broken").get(0);
        assertThat(problem.file()).isEqualTo("jobs/broken.yml");
        assertThat(problem.message()).startsWith("cannot be read");
        assertThat(home.problem().file()).as("validate still refuses it").isEqualTo("jobs/broken.yml");
    }

    @Test
    void aProblemInConfigStillRefusesEverything() {
        DefinitionHome home =
                DefinitionHome.create().job("nightly", DefinitionHome.JOB).settings("api:\n  port: many\n");

        assertThat(org.assertj.core.api.Assertions.catchThrowable(home::readForRuns))
                .hasMessageContaining("config/forkrunner.yml");
    }

    @Test
    void otherJobsRunWhileOneJobFileIsUnreadable() throws Exception {
        try (TestHome home = TestHome.create("bad-job-file")) {
            TestSource source = TestSource.start(home, "shop", "Shop-pw-9131");
            source.sql("create table items as select g as id from generate_series(1, 300) g");
            home.write(
                    "config/services.yml",
                    "regions:\n  eu-local: { provisioner: local, root: var/regions/eu, ports: "
                            + Ports.range(10).yaml() + " }\n" + "services:\n"
                            + source.serviceYaml("eu-local", "{ keep: 1, wal: none }"));
            home.write("jobs/good.yml", "source: shop\ntarget:\n  name: good-{run}\n");
            Files.createDirectories(home.path("jobs/broken.yml"));
            CliResult backup = home.cli("backup", "shop");
            assertThat(backup.exitCode()).as(backup.toString()).isZero();

            CliResult good = home.cli("run", "good", "--json");
            CliResult broken = home.cli("run", "broken");
            CliResult validate = home.cli("validate");

            assertThat(good.exitCode()).as(good.toString()).isZero();
            JsonNode run = JsonMapper.builder().build().readTree(good.out());
            assertThat(run.path("state").asText()).isEqualTo("COMPLETED");
            assertThat(broken.exitCode()).as(broken.toString()).isEqualTo(2);
            assertThat(broken.err()).contains("jobs/broken.yml: (file): ").contains("cannot be read");
            assertThat(validate.exitCode()).as(validate.toString()).isEqualTo(2);
            assertThat(validate.err()).contains("jobs/broken.yml");
            assertThat(home.cli("status", "--json").out())
                    .as("no run of the broken job was recorded")
                    .doesNotContain("\"broken\"");
        }
    }
}
