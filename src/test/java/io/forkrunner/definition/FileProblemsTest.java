package io.forkrunner.definition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.forkrunner.system.Problem;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Problems with files as a whole: YAML syntax, keys given twice, shapes, and every problem of every file at once. */
class FileProblemsTest {

    private final DefinitionHome home = DefinitionHome.create();

    @Test
    void aYamlSyntaxErrorInAJobIsOneProblemWithItsLine() {
        home.job("shop-dev", """
                source: shop
                target:
                  name: shop-dev: {date}
                retention:
                  keep: 3
                """);

        Problem problem = home.problem();

        assertThat(problem.file()).isEqualTo("jobs/shop-dev.yml");
        assertThat(problem.line()).isEqualTo(3);
        assertThat(problem.field()).isEqualTo("(syntax)");
        assertThat(problem.message()).startsWith("is not valid YAML: ").contains("mapping values are not allowed");
        assertThat(problem.toString()).startsWith("jobs/shop-dev.yml:3: (syntax): missing: is not valid YAML");
    }

    @Test
    void aTabIndentedLineIsASyntaxErrorOnThatLine() {
        home.job("shop-dev", "source: shop\ntarget:\n\tname: shop-dev-{date}\n");

        assertThat(home.problem()).extracting(Problem::line, Problem::field).containsExactly(3, "(syntax)");
    }

    @Test
    void aYamlSyntaxErrorInServicesYmlIsNotFollowedByUndeclaredNamesInJobs() {
        home.services(DefinitionHome.SERVICES + "    pools: [ { name: app\n")
                .job("shop-dev", DefinitionHome.JOB + "  region: us-local\n");

        Problem problem = home.problem();

        assertThat(problem.file()).isEqualTo("config/services.yml");
        assertThat(problem.field()).isEqualTo("(syntax)");
        assertThat(problem.line()).isGreaterThanOrEqualTo(17);
    }

    @Test
    void aYamlSyntaxErrorInForkrunnerYmlIsOneProblem() {
        home.settings("metadata:\n  url: \"jdbc:postgresql://127.0.0.1:5432/forkrunner\n");

        assertThat(home.problem())
                .extracting(Problem::file, Problem::field)
                .containsExactly("config/forkrunner.yml", "(syntax)");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            source: shop\\nsource: shop\\ntarget:\\n  name: a-{run}\\n                    | 2 | source
            source: shop\\ntarget:\\n  name: a-{run}\\n  name: b-{run}\\n              | 4 | target.name
            source: shop\\ntarget:\\n  name: a-{run}\\nretention:\\n  keep: 1\\n  keep: 2\\n | 6 | retention.keep
            """)
    void aKeyGivenTwiceInAJobIsRefused(String yaml, int line, String field) {
        home.job("shop-dev", yaml.strip().replace("\\n", "\n") + "\n");

        Problem problem = home.problem();

        assertThat(problem)
                .extracting(Problem::file, Problem::line, Problem::field, Problem::message)
                .containsExactly("jobs/shop-dev.yml", line, field, "is given twice");
    }

    @Test
    void aServiceDeclaredTwiceIsRefused() {
        home.services(DefinitionHome.SERVICES + """
                  shop:
                    engine: postgresql
                    region: us-local
                    host: 127.0.0.1
                    port: 5433
                    user: postgres
                """);

        assertThat(home.problem())
                .extracting(Problem::line, Problem::field, Problem::value, Problem::message)
                .containsExactly(17, "services.shop", "shop", "is given twice");
    }

    @Test
    void aSectionWrittenAsAValueIsOneProblem() {
        home.job("shop-dev", "source: shop\ntarget: shop-dev-{date}\n");

        assertThat(home.problem())
                .extracting(Problem::line, Problem::field, Problem::value, Problem::message)
                .containsExactly(2, "target", "shop-dev-{date}", "must be a mapping of keys to values");
    }

    @Test
    void aScheduleWrittenAsAListIsOneProblem() {
        home.job("shop-dev", DefinitionHome.JOB + "schedule: [\"0 30 2 * * ?\"]\n");

        assertThat(home.problem())
                .extracting(Problem::field, Problem::message)
                .containsExactly("schedule", "must be a mapping of keys to values");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            jobs/shop-dev.yml     | users: [copy]                         | users
            jobs/shop-dev.yml     | from: { at: latest }                  | from
            jobs/shop-dev.yml     | retention: { keep: [3] }              | retention.keep
            jobs/shop-dev.yml     | retention: { ttl: [7d] }              | retention.ttl
            jobs/shop-dev.yml     | schedule: { cron: [\"0 30 2 * * ?\"] } | schedule.cron
            config/forkrunner.yml | api: { port: [8080] }                 | api.port
            config/forkrunner.yml | metadata: { url: [x] }                | metadata.url
            """)
    void aListOrMappingWhereOneValueBelongsIsOneProblem(String file, String yaml, String field) {
        home.job("shop-dev", DefinitionHome.JOB);
        home.write(file, (file.startsWith("jobs/") ? DefinitionHome.JOB : "") + yaml + "\n");

        Problem problem = home.problem();

        assertThat(problem.file()).isEqualTo(file);
        assertThat(problem.field()).isEqualTo(field);
        assertThat(problem.message()).isEqualTo("must be a single value, not a list or mapping");
        assertThat(problem.value()).as("shown by its shape").isEqualTo(yaml.contains(": [") ? "[...]" : "{...}");
    }

    @Test
    void aListWhereOneValueBelongsInServicesYmlIsOneProblem() {
        home.services(DefinitionHome.SERVICES.replace("port: 5432", "port: [5432]")
                + "    backups: { every: [24h], keep: { n: 3 } }\n");

        assertThat(home.problems())
                .extracting(Problem::field, Problem::message)
                .containsExactlyInAnyOrder(
                        tuple("services.shop.port", "must be a single value, not a list or mapping"),
                        tuple("services.shop.backups.every", "must be a single value, not a list or mapping"),
                        tuple("services.shop.backups.keep", "must be a single value, not a list or mapping"));
    }

    @Test
    void aTargetVersionWrittenAsAListIsOneProblem() {
        home.job("shop-dev", DefinitionHome.JOB + "  version: [15]\n");

        assertThat(home.problem().field()).isEqualTo("target.version");
    }

    @Test
    void everyProblemOfEveryFileIsReportedAtOnce() {
        home.settings("api:\n  port: 80800\n")
                .services(DefinitionHome.SERVICES + """
                          cache:
                            engine: aiven
                            region: eu-local
                            host: 127.0.0.1
                            port: 6379
                            user: default
                        """)
                .job("a-broken", DefinitionHome.JOB + "from: yesterday\n")
                .job("b-fine", DefinitionHome.JOB)
                .job("c-broken", DefinitionHome.JOB + "schedule:\n  cron: nightly\nretention:\n  keep: 0\n")
                .job("d-broken", "source: shop\ntarget:\n  name: x\n  name: y\n");

        List<Problem> problems = home.problems();

        assertThat(problems)
                .as(DefinitionHome.describe(problems))
                .extracting(Problem::file, Problem::line, Problem::field)
                .containsExactly(
                        tuple("config/forkrunner.yml", 2, "api.port"),
                        tuple("config/services.yml", 18, "services.cache.engine"),
                        tuple("jobs/a-broken.yml", 4, "from"),
                        tuple("jobs/c-broken.yml", 5, "schedule.cron"),
                        tuple("jobs/c-broken.yml", 7, "retention.keep"),
                        tuple("jobs/d-broken.yml", 4, "target.name"));
        assertThat(home.report().lines())
                .hasSize(6)
                .allSatisfy(line -> assertThat(line).matches("[a-z/.-]+\\.yml:[0-9]+: [a-z.]+: .+"));
    }

    @Test
    void aJobFileThatIsNotAMappingIsOneProblem() {
        home.job("shop-dev", "- source: shop\n- target: shop-dev\n");

        assertThat(home.problem())
                .extracting(Problem::file, Problem::line, Problem::field, Problem::value, Problem::message)
                .containsExactly("jobs/shop-dev.yml", 1, "(file)", "[...]", "must be a mapping of keys to values");
    }

    @Test
    void anEmptyJobFileNeedsItsSourceAndTarget() {
        home.job("shop-dev", "");

        assertThat(home.problems()).extracting(Problem::field).containsExactlyInAnyOrder("source", "target.name");
    }
}
