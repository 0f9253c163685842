package io.forkrunner.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** {@code ./forkrunner validate}: reads config and jobs, never a database; exit 0 when valid, 2 with every problem. */
class ValidateCommandTest {

    private static final String SERVICES = """
            regions:
              eu-local: { provisioner: local, root: var/regions/eu-local, ports: 16000-16099 }
              us-local: { provisioner: local, root: var/regions/us-local, ports: 16100-16199 }
            services:
              shop: { engine: postgresql, region: eu-local, host: 127.0.0.1, port: 5432, user: postgres }
            """;

    private record Result(int exitCode, String out, String err) {}

    private static Result validate(Path home) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit;
        try (PrintStream outStream = new PrintStream(out, true, StandardCharsets.UTF_8);
                PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            exit = Cli.execute(new String[] {"--home", home.toString(), "validate"}, outStream, errStream);
        }
        return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static Path home(String... files) throws IOException {
        Path root =
                Path.of("target", "test-homes", "validate-" + UUID.randomUUID()).toAbsolutePath();
        Files.createDirectories(root.resolve("jobs"));
        for (int i = 0; i < files.length; i += 2) {
            Path file = root.resolve(files[i]);
            Files.createDirectories(file.getParent());
            Files.writeString(file, files[i + 1]);
        }
        return root;
    }

    @Test
    void theShippedConfigAndJobsOfTheRepositoryAreValid() {
        Path repository = Path.of("").toAbsolutePath();
        assertThat(repository.resolve("config/services.yml")).exists();

        Result result = validate(repository);

        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(result.out()).isEqualTo("ok: " + repository + ": 2 regions, 1 services, 3 jobs\n");
        assertThat(result.err()).isEmpty();
    }

    @Test
    void aJobWithFourProblemsExitsTwoWithOneMessageEachAndNothingOnStandardOutput() throws IOException {
        Path home = home("config/services.yml", SERVICES, "jobs/nightly.yml", """
                description: Nightly copy
                source: warehouse
                target:
                  name: nightly-{date}
                  region: mars-local
                schedule:
                  cron: "0 30 2 * *"
                  zone: UTC
                  overlapp: skip
                """);

        Result result = validate(home);

        assertThat(result.exitCode()).as(result.toString()).isEqualTo(2);
        assertThat(result.out()).isEmpty();
        assertThat(result.err().lines())
                .containsExactly(
                        "jobs/nightly.yml:2: source: \"warehouse\": is not a service declared in config/services.yml"
                                + " services; valid examples: shop",
                        "jobs/nightly.yml:5: target.region: \"mars-local\": is not a region declared in"
                                + " config/services.yml regions; valid examples: eu-local, us-local",
                        result.err().lines().toList().get(2),
                        "jobs/nightly.yml:9: schedule.overlapp: \"overlapp\": is not a known key here; valid examples:"
                                + " cron, zone, misfire, overlap",
                        "4 problems; nothing was changed.");
        assertThat(result.err().lines().toList().get(2))
                .startsWith("jobs/nightly.yml:7: schedule.cron: \"0 30 2 * *\": is not a Quartz cron expression")
                .endsWith("valid examples: \"0 30 2 * * ?\", \"0 0 */6 * * ?\", \"0 0 3 ? * MON\"");
    }

    @Test
    void everyFileWithProblemsIsListed() throws IOException {
        Path home =
                home("config/services.yml", SERVICES, "jobs/one.yml", """
                source: shop
                target:
                  name: one-{date}
                from: yesterday
                """, "jobs/two.yml", """
                source: shop
                target:
                  name: two-{date}
                  version: 9
                """, "jobs/three.yml", """
                source: shop
                target:
                  name: three-{day}
                """);

        Result result = validate(home);

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.out()).isEmpty();
        assertThat(result.err())
                .contains("jobs/one.yml:4: from: \"yesterday\"")
                .contains("jobs/two.yml:4: target.version: \"9\"")
                .contains("jobs/three.yml:3: target.name: \"three-{day}\"")
                .endsWith("3 problems; nothing was changed.\n");
    }

    @Test
    void aPasswordWrittenInTheFileNeverAppearsInTheOutput() throws IOException {
        String password = "Pa55-w0rd-of-shop";
        Path home = home(
                "config/services.yml",
                SERVICES.replace("user: postgres }", "user: postgres, password: " + password + " }"),
                "config/forkrunner.yml",
                """
                metadata:
                  password: "%s"
                """.formatted(password));

        Result result = validate(home);

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err())
                .contains("config/services.yml:5: services.shop.password: \"(hidden)\": must be a secret reference")
                .contains("config/forkrunner.yml:2: metadata.password: \"(hidden)\"")
                .endsWith("2 problems; nothing was changed.\n");
        assertThat(result.out() + result.err()).doesNotContain(password);
    }

    @Test
    void oneProblemIsCountedInTheSingular() throws IOException {
        Path home = home("config/services.yml", SERVICES.replace("postgresql", "oracle"));

        Result result = validate(home);

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err())
                .isEqualTo("config/services.yml:5: services.shop.engine: \"oracle\": is not a known engine;"
                        + " valid examples: postgresql, mariadb, mysql, redis, valkey, opensearch,"
                        + " elasticsearch, cassandra\n1 problem;"
                        + " nothing was changed.\n");
    }
}
