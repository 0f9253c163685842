package io.forkrunner.definition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.forkrunner.system.Problem;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JobValidationTest {

    private final DefinitionHome home = DefinitionHome.create();

    @Test
    void aJobWithABadCronAnUnknownKeyAnUndeclaredServiceAndAnUndeclaredRegionGivesOneProblemEach() {
        home.job("nightly", """
                source: warehouse
                target:
                  name: nightly-{date}
                  region: mars-local
                schedule:
                  cron: "0 30 25 * * ?"
                retension:
                  keep: 3
                """);

        List<Problem> problems = home.problems();

        assertThat(problems)
                .as(DefinitionHome.describe(problems))
                .extracting(Problem::file, Problem::line, Problem::field, Problem::value)
                .containsExactlyInAnyOrder(
                        tuple("jobs/nightly.yml", 1, "source", "warehouse"),
                        tuple("jobs/nightly.yml", 4, "target.region", "mars-local"),
                        tuple("jobs/nightly.yml", 6, "schedule.cron", "0 30 25 * * ?"),
                        tuple("jobs/nightly.yml", 7, "retension", "retension"));
        assertThat(home.report())
                .contains("jobs/nightly.yml:1: source: \"warehouse\": is not a service declared in config/services.yml"
                        + " services; valid examples: shop")
                .contains("jobs/nightly.yml:4: target.region: \"mars-local\": is not a region declared in"
                        + " config/services.yml regions; valid examples: eu-local, us-local")
                .contains("jobs/nightly.yml:6: schedule.cron: \"0 30 25 * * ?\": is not a Quartz cron expression")
                .contains("jobs/nightly.yml:7: retension: \"retension\": is not a known key here; valid examples: ")
                .contains("retention");
    }

    @Test
    void singleSignOnOfAForkOfForkrunnersOwnIsForAnOpenSearchServiceWithASecurityConfigurationAndNeedsItsUrlAndKey() {
        String opensearch = DefinitionHome.SERVICES
                .replace("engine: postgresql", "engine: opensearch")
                .replace("    user: postgres\n", "");
        home.services(opensearch);
        home.job("search", DefinitionHome.JOB + "sso: later\n");
        Problem noSecurity = home.problem();
        assertThat(noSecurity).extracting(Problem::field).isEqualTo("sso");
        assertThat(noSecurity.message()).contains("security: in config/services.yml", "shop is neither");

        home.write("var/security/config.yml", "_meta: { type: config, config_version: 2 }\n");
        home.services(opensearch + "    security: var/security\n");
        assertThat(home.read().jobs().get("search").sso()).isEqualTo(JobDefinition.Sso.LATER);

        home.job("search", DefinitionHome.JOB + """
                sso:
                  saml:
                    idp_metadata_url: https://idp.example/metadata
                    idp_entity_id: https://idp.example
                    sp_entity_id: https://search-dev.example
                """);
        assertThat(home.problems())
                .extracting(Problem::field)
                .containsExactlyInAnyOrder("sso.saml.dashboards_url", "sso.saml.exchange_key");

        home.env("EXCHANGE_KEY", "key-0f3a");
        home.job("search", DefinitionHome.JOB + """
                sso:
                  saml:
                    idp_metadata_url: https://idp.example/metadata
                    idp_entity_id: https://idp.example
                    sp_entity_id: https://search-dev.example
                    dashboards_url: https://dashboards-dev.example/
                    exchange_key: ${env:EXCHANGE_KEY}
                """);
        JobDefinition.Sso sso = home.read().jobs().get("search").sso();
        assertThat(sso.kind()).isEqualTo("saml");
        assertThat(sso.settings()).containsEntry("dashboards_url", "https://dashboards-dev.example/");
        assertThat(sso.secrets()).containsOnlyKeys("exchange_key");
    }

    @Test
    void aJobNamingAnUndeclaredRegionIsRefused() {
        home.job("shop-dev", DefinitionHome.JOB + "  region: ap-local\n");

        Problem problem = home.problem();

        assertThat(problem.field()).isEqualTo("target.region");
        assertThat(problem.value()).isEqualTo("ap-local");
        assertThat(problem.line()).isEqualTo(4);
        assertThat(problem.examples()).containsExactly("eu-local", "us-local");
    }

    @Test
    void testFilesMustExistAndAreReadRelativeToTheHome() {
        home.write("jobs/sql/smoke.sql", "select 1;\n")
                .job("shop-dev", DefinitionHome.JOB + "tests:\n  - jobs/sql/smoke.sql\n");

        assertThat(home.read().jobs().get("shop-dev").tests())
                .containsExactly(home.root().resolve("jobs/sql/smoke.sql"));

        home.job("shop-dev", DefinitionHome.JOB + "tests:\n  - jobs/sql/smoke.sql\n  - jobs/sql/nope.sql\n");

        Problem problem = home.problem();
        assertThat(problem.field()).isEqualTo("tests[1]");
        assertThat(problem.value()).isEqualTo("jobs/sql/nope.sql");
        assertThat(problem.message()).contains("is not a file");
    }

    @Test
    void poolsCopiedWithoutUsersAreRefused() {

        home.job("shop-dev", DefinitionHome.JOB + "users: none\npools: copy\n");

        Problem problem = home.problem();

        assertThat(problem.field()).isEqualTo("pools");
        assertThat(problem.value()).isEqualTo("copy");
        assertThat(problem.message()).contains("needs users: copy");
    }

    @Test
    void aJobNamingAnUndeclaredServiceIsRefused() {

        home.job("shop-dev", DefinitionHome.JOB.replace("source: shop", "source: shopp"));

        Problem problem = home.problem();

        assertThat(problem.field()).isEqualTo("source");
        assertThat(problem.value()).isEqualTo("shopp");
        assertThat(problem.examples()).containsExactly("shop");
    }

    @Test
    void aJobWithoutSourceOrTargetNameIsRefusedForEach() {
        home.job("shop-dev", "description: nothing else\n");

        assertThat(home.problems())
                .extracting(Problem::field, Problem::value, Problem::message)
                .containsExactlyInAnyOrder(
                        tuple("source", null, "is required"), tuple("target.name", null, "is required"));
        assertThat(home.report()).contains("jobs/shop-dev.yml:1: source: missing: is required; valid examples: shop");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0 30 2 * * *", "30 2 * * *", "0 61 2 * * ?", "0 0 25 * * ?", "every night"})
    void aCronThatQuartzRefusesIsRefused(String cron) {
        home.job("shop-dev", DefinitionHome.JOB + "schedule:\n  cron: \"" + cron + "\"\n");

        Problem problem = home.problem();

        assertThat(problem.field()).isEqualTo("schedule.cron");
        assertThat(problem.value()).isEqualTo(cron);
        assertThat(problem.line()).isEqualTo(5);
        assertThat(problem.message()).startsWith("is not a Quartz cron expression");
        assertThat(problem.examples()).contains("\"0 30 2 * * ?\"");
    }

    @Test
    void aScheduleWithoutCronIsRefused() {
        home.job("shop-dev", DefinitionHome.JOB + "schedule:\n  zone: UTC\n");

        assertThat(home.problem())
                .extracting(Problem::field, Problem::value, Problem::message)
                .containsExactly("schedule.cron", null, "is required");
    }

    @Test
    void anUnknownZoneIsRefused() {
        home.job("shop-dev", DefinitionHome.JOB + "schedule:\n  cron: \"0 30 2 * * ?\"\n  zone: Europe/Helsinky\n");

        assertThat(home.problem())
                .extracting(Problem::field, Problem::value, Problem::message)
                .containsExactly("schedule.zone", "Europe/Helsinky", "is not a time zone");
    }

    @Test
    void misfireAndOverlapAcceptOnlyTheirChoices() {
        home.job(
                "shop-dev",
                DefinitionHome.JOB + "schedule:\n  cron: \"0 30 2 * * ?\"\n  misfire: run_once\n  overlap: parallel\n");

        assertThat(home.problems())
                .extracting(Problem::field, Problem::value, Problem::examples)
                .containsExactlyInAnyOrder(
                        tuple("schedule.misfire", "run_once", List.of("run-once", "skip")),
                        tuple("schedule.overlap", "parallel", List.of("skip", "queue")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"yesterday", "2026-11-25T23:00:00", "2026-11-25", "-2", "-0h", "2h", "LATEST"})
    void aFromThatIsNotLatestATimeWithOffsetOrMinusDurationIsRefused(String from) {
        home.job("shop-dev", DefinitionHome.JOB + "from: \"" + from + "\"\n");

        Problem problem = home.problem();

        assertThat(problem.field()).isEqualTo("from");
        assertThat(problem.value()).isEqualTo(from);
        assertThat(problem.examples()).contains("latest", "2026-11-25T23:00:00Z", "-2h");
    }

    @Test
    void usersAndPoolsAreCopyOrNone() {
        home.job("shop-dev", DefinitionHome.JOB + "users: yes\npools: all\n");

        assertThat(home.problems())
                .extracting(Problem::field, Problem::value, Problem::message, Problem::examples)
                .containsExactlyInAnyOrder(
                        tuple("users", "yes", "must be copy or none", List.of("copy", "none")),
                        tuple("pools", "all", "must be copy or none", List.of("copy", "none")));
    }

    @Test
    void eventsAreOnOrOffAndOnOnlyForAnEngineWithAnEventScheduler() {
        home.job("shop-dev", DefinitionHome.JOB + "events: yes\n");
        assertThat(home.problems())
                .extracting(Problem::field, Problem::value, Problem::message, Problem::examples)
                .containsExactly(tuple("events", "yes", "must be on or off", List.of("on", "off")));

        home.job("shop-dev", DefinitionHome.JOB + "events: on\n");
        Problem problem = home.problem();
        assertThat(problem.field()).isEqualTo("events");
        assertThat(problem.value()).isEqualTo("on");
        assertThat(problem.message()).contains("service shop", "postgresql has no event scheduler");

        home.job("shop-dev", DefinitionHome.JOB + "events: off\n");
        assertThat(home.read().jobs().get("shop-dev").events()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"shop-{branch}", "{job}-{date", "shop-{DATE}", "{}"})
    void aTargetNameWithAnUnknownPlaceholderIsRefused(String name) {
        home.job("shop-dev", "source: shop\ntarget:\n  name: \"" + name + "\"\n");

        Problem problem = home.problem();

        assertThat(problem.field()).isEqualTo("target.name");
        assertThat(problem.value()).isEqualTo(name);
        assertThat(problem.message()).contains("unknown placeholder", "{job} {date} {time} {run}");
    }

    @Test
    void everyPlaceholderIsAccepted() {
        home.job("shop-dev", "source: shop\ntarget:\n  name: \"{job}-{date}-{time}-{run}\"\n");

        assertThat(home.read().jobs().get("shop-dev").target().name()).isEqualTo("{job}-{date}-{time}-{run}");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Shop-{date}", "{date}-shop", "shop_dev", "shop.{run}"})
    void aTargetNameThatGivesInvalidServiceNamesIsRefused(String name) {
        home.job("shop-dev", "source: shop\ntarget:\n  name: \"" + name + "\"\n");

        Problem problem = home.problem();

        assertThat(problem.field()).isEqualTo("target.name");
        assertThat(problem.message()).contains("gives names like", "[a-z][a-z0-9-]{0,62}");
    }

    @Test
    void aTargetNameTooLongOnceFilledInIsRefused() {
        String job = "j" + "a".repeat(59);
        home.job(job, "source: shop\ntarget:\n  name: \"{job}-{date}\"\n");

        assertThat(home.problem().message()).contains("gives names like \"" + job + "-20261126\"");
    }

    @ParameterizedTest
    @ValueSource(strings = {"9", "31", "fifteen", "15.2"})
    void aTargetVersionThatIsNotAPostgresqlMajorIsRefused(String version) {
        home.job("shop-dev", DefinitionHome.JOB + "  version: " + version + "\n");

        Problem problem = home.problem();

        assertThat(problem.field()).isEqualTo("target.version");
        assertThat(problem.value()).isEqualTo(version);
        assertThat(problem.examples()).contains("15");
    }

    @Test
    void aRetentionKeepBelowOneIsRefused() {
        home.job("shop-dev", DefinitionHome.JOB + "retention:\n  keep: 0\n");

        assertThat(home.problem())
                .extracting(Problem::field, Problem::value, Problem::message)
                .containsExactly("retention.keep", "0", "must be at least 1");
    }

    @Test
    void aRetentionTtlMustBeADuration() {
        home.job("shop-dev", DefinitionHome.JOB + "retention:\n  keep: 1\n  ttl: two weeks\n");

        assertThat(home.problem())
                .extracting(Problem::field, Problem::value, Problem::message, Problem::examples)
                .containsExactly("retention.ttl", "two weeks", "is not a duration", Durations.EXAMPLES);
    }

    @Test
    void aSqlIntegrationNeedsAnExistingFile() {
        home.job("shop-dev", DefinitionHome.JOB + "integrations:\n  - { type: sql, file: jobs/sql/missing.sql }\n");

        Problem problem = home.problem();

        assertThat(problem.field()).isEqualTo("integrations[0].file");
        assertThat(problem.value()).isEqualTo("jobs/sql/missing.sql");
        assertThat(problem.line()).isEqualTo(5);
        assertThat(problem.message())
                .startsWith("is not a file")
                .contains(home.root().toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"ftp://example.com/forks", "127.0.0.1:8089/forks", "http://", "not a url"})
    void aWebhookNeedsAnHttpOrHttpsUrl(String url) {
        home.job("shop-dev", DefinitionHome.JOB + "integrations:\n  - { type: webhook, url: \"" + url + "\" }\n");

        assertThat(home.problem())
                .extracting(Problem::field, Problem::value, Problem::message)
                .containsExactly("integrations[0].url", url, "is not an http or https URL");
    }

    @Test
    void aCommandWithAnEmptyArgvIsRefused() {
        home.job("shop-dev", DefinitionHome.JOB + "integrations:\n  - { type: command, argv: [] }\n");

        Problem problem = home.problem();

        assertThat(problem)
                .extracting(Problem::line, Problem::field, Problem::value, Problem::message)
                .containsExactly(5, "integrations[0].argv", "[]", "must not be empty");
        assertThat(problem.examples()).containsExactly("[\"/usr/local/bin/announce-fork\", \"--quiet\"]");
    }

    @Test
    void aCommandWithArgvAsOneValueIsRefusedOnce() {
        home.job("shop-dev", DefinitionHome.JOB + "integrations:\n  - { type: command, argv: announce-fork }\n");

        assertThat(home.problem())
                .extracting(Problem::field, Problem::message)
                .containsExactly("integrations[0].argv", "must be a list");
    }

    @Test
    void aCommandWithoutArgvIsRefused() {
        home.job("shop-dev", DefinitionHome.JOB + "integrations:\n  - { type: command }\n");

        assertThat(home.problem())
                .extracting(Problem::field, Problem::value, Problem::message)
                .containsExactly("integrations[0].argv", null, "is required");
    }

    @Test
    void anIntegrationWithoutATypeIsRefusedOnce() {
        home.job("shop-dev", DefinitionHome.JOB + "integrations:\n  - { file: jobs/sql/mask.sql }\n");

        assertThat(home.problem())
                .extracting(Problem::field, Problem::value, Problem::message)
                .containsExactly("integrations[0].type", null, "is required");
    }

    @Test
    void anUnknownIntegrationTypeIsRefused() {
        home.job("shop-dev", DefinitionHome.JOB + "integrations:\n  - { type: slack, url: \"https://x.example\" }\n");

        Problem problem = home.problem();

        assertThat(problem.field()).isEqualTo("integrations[0].type");
        assertThat(problem.value()).isEqualTo("slack");
        assertThat(problem.examples())
                .containsExactly("sql", "redis", "http", "cql", "webhook", "prometheus", "command", "aiven");
    }

    @Test
    void keysThatDoNotBelongToTheIntegrationTypeAreRefused() {
        home.write("jobs/sql/mask.sql", "select 1;\n").job("shop-dev", DefinitionHome.JOB + """
                        integrations:
                          - { type: sql, file: jobs/sql/mask.sql, url: "http://127.0.0.1:8089/forks" }
                          - { type: webhook, url: "http://127.0.0.1:8089/forks", argv: [echo] }
                          - { type: command, argv: [echo], file: jobs/sql/mask.sql }
                        """);

        List<Problem> problems = home.problems();

        assertThat(problems)
                .as(DefinitionHome.describe(problems))
                .extracting(Problem::field, Problem::message)
                .containsExactlyInAnyOrder(
                        tuple("integrations[0].url", "is not a key of integrations of type sql"),
                        tuple("integrations[1].argv", "is not a key of integrations of type webhook"),
                        tuple("integrations[2].file", "is not a key of integrations of type command"));
        assertThat(problems.get(0).examples()).containsExactly("type", "file");
        assertThat(problems).extracting(Problem::line).containsExactly(5, 6, 7);
    }

    @Test
    void checksAreAListOfSql() {
        home.job("shop-dev", DefinitionHome.JOB + "checks: select true\n");

        assertThat(home.problem())
                .extracting(Problem::field, Problem::message)
                .containsExactly("checks", "must be a list");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Shop-Dev", "shop_dev", "1shop", "-shop"})
    void aJobFileWithAnInvalidNameIsRefused(String name) {
        home.job(name, DefinitionHome.JOB);

        Problem problem = home.problem();

        assertThat(problem.file()).isEqualTo("jobs/" + name + ".yml");
        assertThat(problem.field()).isEqualTo("(file name)");
        assertThat(problem.value()).isEqualTo(name);
        assertThat(problem.message()).contains("[a-z][a-z0-9-]{0,62}");
        assertThat(problem.examples()).isEqualTo(Names.EXAMPLES);
    }

    @Test
    void aJobFileNameOfSixtyThreeCharactersIsAcceptedAndOfSixtyFourRefused() {
        String longest = "a".repeat(63);
        home.job(longest, "source: shop\ntarget:\n  name: shop-{run}\n");
        assertThat(home.read().jobs()).containsKey(longest);

        home.job("a".repeat(64), "source: shop\ntarget:\n  name: shop-{run}\n");
        assertThat(home.problem().value()).isEqualTo("a".repeat(64));
    }

    @Test
    void filesThatAreNotYmlAreNotJobs() {
        home.job("shop-dev", DefinitionHome.JOB)
                .write("jobs/README.md", "# jobs\n")
                .write("jobs/old.yml.bak", ":\n");

        assertThat(home.read().jobs()).containsOnlyKeys("shop-dev");
    }
}
