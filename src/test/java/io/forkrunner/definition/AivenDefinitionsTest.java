package io.forkrunner.definition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.forkrunner.definition.JobDefinition.AivenTarget;
import io.forkrunner.definition.ServiceDefinition.AivenService;
import io.forkrunner.system.Problem;
import io.forkrunner.system.SecretRef;
import io.forkrunner.testing.CliResult;
import java.net.URI;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Regions and services on the Aiven platform, and the targets of forks made there, as config/services.yml declares. */
class AivenDefinitionsTest {

    private static final String AIVEN_REGION = """
              aiven-eu:
                provisioner: aiven
                project: acme-prod
                cloud: google-europe-west1
                plan: startup-4
                token: ${env:AIVEN_TOKEN}
            """;

    private final DefinitionHome home = DefinitionHome.create();

    /** {@link DefinitionHome#SERVICES} with the region aiven-eu and {@code services} added to its own. */
    private DefinitionHome withAiven(String region, String services) {
        String yaml = DefinitionHome.SERVICES.replace("services:\n", region + "services:\n") + services;
        return home.env("AIVEN_TOKEN", "aiven-token-5e2b").services(yaml);
    }

    private DefinitionHome withAiven(String services) {
        return withAiven(AIVEN_REGION, services);
    }

    private static final String ORDERS = """
              orders:
                type: pg
                region: aiven-eu
            """;

    @Test
    void aRegionOnAivenHoldsItsProjectCloudPlanAndTokenReferenceAndItsServicesTheirType() {
        withAiven(ORDERS + """
                  cache:
                    type: valkey
                    region: aiven-eu
                    project: acme-staging
                """);

        Definitions definitions = home.read();

        Region region = definitions.regions().get("aiven-eu");
        assertThat(region.onAiven()).isTrue();
        assertThat(region.aiven())
                .isEqualTo(new AivenAccount(
                        URI.create("https://api.aiven.io"),
                        "acme-prod",
                        "google-europe-west1",
                        "startup-4",
                        new SecretRef(SecretRef.Kind.ENV, "AIVEN_TOKEN"),
                        AivenAccount.DEFAULT_STALL));
        assertThat(region.root()).isEqualTo(home.root().resolve("var/regions/aiven-eu"));
        ServiceDefinition orders = definitions.services().get("orders");
        assertThat(orders.engine()).isEqualTo(ServiceDefinition.AIVEN);
        assertThat(orders.aiven()).isEqualTo(new AivenService("pg", "acme-prod"));
        assertThat(definitions.services().get("cache").aiven()).isEqualTo(new AivenService("valkey", "acme-staging"));
        assertThat(definitions.services().get("shop").onAiven()).isFalse();
    }

    @Test
    void anotherApiUrlIsKeptForTestsAndProxies() {
        withAiven(AIVEN_REGION + "    url: http://127.0.0.1:18080\n", ORDERS);

        assertThat(home.read().regions().get("aiven-eu").aiven().url()).isEqualTo(URI.create("http://127.0.0.1:18080"));
    }

    @Test
    void aTokenWrittenInTheFileIsRefusedWithoutRepeatingIt() {
        withAiven(AIVEN_REGION.replace("${env:AIVEN_TOKEN}", "tok-3f9a1c-secret"), ORDERS);

        CliResult validate = home.validate();

        assertThat(validate.exitCode()).isEqualTo(2);
        assertThat(validate.err())
                .contains("regions.aiven-eu.token", "must be a secret reference")
                .doesNotContain("tok-3f9a1c-secret");
        assertThat(validate.out()).doesNotContain("tok-3f9a1c-secret");
    }

    @Test
    void aRegionOnAivenNeedsItsProjectCloudPlanAndToken() {
        withAiven("  aiven-eu:\n    provisioner: aiven\n", "");

        assertThat(home.problems())
                .extracting(Problem::field, Problem::message)
                .containsExactly(
                        tuple("regions.aiven-eu.project", "is required"),
                        tuple("regions.aiven-eu.cloud", "is required"),
                        tuple("regions.aiven-eu.plan", "is required"),
                        tuple("regions.aiven-eu.token", "is required"));
    }

    @Test
    void aServiceOnAivenIsDeclaredByItsTypeNotByAnEngineAddressOrLogin() {
        withAiven("""
                  orders:
                    type: kafka
                    region: aiven-eu
                    engine: postgresql
                    host: orders.aivencloud.com
                    port: 5432
                """);

        List<Problem> problems = home.problems();

        assertThat(problems)
                .extracting(Problem::field, Problem::value)
                .containsExactly(
                        tuple("services.orders.type", "kafka"),
                        tuple("services.orders.engine", "engine"),
                        tuple("services.orders.host", "host"),
                        tuple("services.orders.port", "port"));
        assertThat(problems.get(0).message()).isEqualTo("is not a service type Aiven forks");
        assertThat(problems.get(0).examples()).containsExactlyElementsOf(AivenAccount.TYPES);
        assertThat(problems.get(1).message()).startsWith("is not for a service on Aiven");
    }

    @Test
    void namesFollowAivensRuleForServicesAndProjects() {
        withAiven(AIVEN_REGION.replace("acme-prod", "Acme_Prod"), ORDERS);

        Problem problem = home.problem();

        assertThat(problem)
                .extracting(Problem::field, Problem::value, Problem::message)
                .containsExactly("regions.aiven-eu.project", "Acme_Prod", AivenAccount.NAME_RULE);
    }

    @Test
    void aForkOnAivenTakesTheRegionsPlanAndCloudUnlessTheJobSaysAndCarriesItsTags() {
        withAiven(ORDERS);
        home.job("orders-dev", """
                source: orders
                target:
                  name: orders-dev-{date}
                  disk_space_mb: 81920
                  tags: { team: payments, purpose: dev }
                """);
        home.job("orders-big", """
                source: orders
                target:
                  name: orders-big
                  plan: business-8
                  cloud: aws-eu-central-1
                """);

        Map<String, JobDefinition> jobs = home.jobsAsRead();

        assertThat(jobs.get("orders-dev").target().aiven())
                .isEqualTo(new AivenTarget(
                        "startup-4", "google-europe-west1", 81920, Map.of("team", "payments", "purpose", "dev")));
        assertThat(jobs.get("orders-dev").target().region()).isEqualTo("aiven-eu");
        assertThat(jobs.get("orders-big").target().aiven())
                .isEqualTo(new AivenTarget("business-8", "aws-eu-central-1", null, Map.of()));
    }

    @Test
    void aForkOnAivenNeedsANameAivenAcceptsAndTakesNeitherVersionNorServerNorForkrunnersOwnTags() {
        withAiven(ORDERS);
        home.job("orders-dev", """
                source: orders
                target:
                  name: orders_dev_{run}
                  version: 16
                  tags: { forkrunner-run: "7" }
                """);

        assertThat(home.problems())
                .extracting(Problem::field)
                .containsExactly("target.name", "target.version", "target.tags.forkrunner-run");
    }

    @Test
    void aForkCrossesBetweenAivenAndForkrunnersOwnRegionsInNeitherDirection() {
        withAiven(ORDERS);
        home.job("shop-to-aiven", "source: shop\ntarget:\n  name: shop-copy\n  region: aiven-eu\n");
        home.job("orders-to-local", "source: orders\ntarget:\n  name: orders-copy\n  region: eu-local\n");

        assertThat(home.problems())
                .extracting(Problem::file, Problem::field)
                .contains(
                        tuple("jobs/orders-to-local.yml", "target.region"),
                        tuple("jobs/shop-to-aiven.yml", "target.region"));
    }

    @Test
    void aJobForkingAServiceOnAivenTakesAivenIntegrationsAndChecksTestsAndFilesInTheLanguageOfItsType() {
        withAiven(ORDERS + "  cache: { type: valkey, region: aiven-eu }\n  metrics: { type: m3db, region: aiven-eu }\n"
                + "  ring: { type: cassandra, region: aiven-eu }\n  search: { type: opensearch, region: aiven-eu }\n");
        home.job("orders-dev", """
                source: orders
                target:
                  name: orders-dev-{date}
                integrations:
                  - type: aiven
                    integration_type: metrics
                    dest_service: grafana-ops
                    user_config: { retention_days: 30, enabled: true }
                """);
        JobDefinition job = home.read().jobs().get("orders-dev");
        assertThat(job.integrations())
                .containsExactly(new JobDefinition.AivenIntegration(
                        "metrics", "dest_service", "grafana-ops", Map.of("retention_days", 30L, "enabled", true)));

        home.job("orders-dev", """
                source: orders
                target:
                  name: orders-dev-{date}
                checks: [select 1]
                database: shop
                integrations:
                  - { type: sql, file: jobs/orders-dev.yml }
                  - { type: redis, file: jobs/orders-dev.yml }
                  - { type: aiven, integration_type: logs }
                  - { type: aiven, integration_type: logs, dest_service: a, source_service: b }
                """);
        home.job("cache-dev", """
                source: cache
                target: { name: cache-dev }
                checks: [PING]
                tests: [jobs/orders-dev.yml]
                integrations:
                  - { type: sql, file: jobs/orders-dev.yml }
                  - { type: redis, file: jobs/orders-dev.yml }
                """);
        home.job("metrics-dev", """
                source: metrics
                target: { name: metrics-dev }
                tests: [jobs/orders-dev.yml]
                """);
        home.job("ring-dev", """
                source: ring
                target: { name: ring-dev }
                checks: [SELECT 1]
                integrations:
                  - { type: cql, file: jobs/orders-dev.yml }
                  - { type: sql, file: jobs/orders-dev.yml }
                """);
        home.job("search-dev", """
                source: search
                target: { name: search-dev }
                integrations:
                  - { type: http, file: jobs/orders-dev.yml }
                  - { type: cql, file: jobs/orders-dev.yml }
                """);
        home.job(
                "shop-dev",
                DefinitionHome.JOB + "integrations:\n  - { type: aiven, integration_type: logs,"
                        + " dest_service: a }\n");

        List<Problem> problems = home.problems();
        assertThat(problems)
                .as(DefinitionHome.describe(problems))
                .extracting(Problem::file, Problem::field)
                .containsExactly(
                        tuple("jobs/cache-dev.yml", "integrations[0].type"),
                        tuple("jobs/metrics-dev.yml", "tests"),
                        tuple("jobs/orders-dev.yml", "database"),
                        tuple("jobs/orders-dev.yml", "integrations[1].type"),
                        tuple("jobs/orders-dev.yml", "integrations[2].type"),
                        tuple("jobs/orders-dev.yml", "integrations[3].source_service"),
                        tuple("jobs/ring-dev.yml", "checks"),
                        tuple("jobs/ring-dev.yml", "integrations[1].type"),
                        tuple("jobs/search-dev.yml", "integrations[1].type"),
                        tuple("jobs/shop-dev.yml", "integrations[0].type"));
        assertThat(problems.get(0).message())
                .contains("not supported yet for a fork on Aiven of type valkey")
                .contains("its integrations are webhook, prometheus, command, redis, or made by Aiven");
        assertThat(problems.get(1).message())
                .contains("of type m3db", "runs tests on forks on Aiven of types pg, mysql, redis and valkey only");
        assertThat(problems.get(3).message())
                .contains("not supported yet for a fork on Aiven of type pg")
                .contains("its integrations are webhook, prometheus, command, sql, or made by Aiven");
        assertThat(problems.get(4).message()).contains("needs exactly one other end");
        assertThat(problems.get(6).message())
                .contains(
                        "of type cassandra", "runs checks on forks on Aiven of types pg, mysql, redis and valkey only");
        assertThat(problems.get(7).message())
                .contains("not supported yet for a fork on Aiven of type cassandra")
                .contains("its integrations are webhook, prometheus, command, cql, or made by Aiven");
        assertThat(problems.get(8).message())
                .contains("not supported yet for a fork on Aiven of type opensearch")
                .contains("its integrations are webhook, prometheus, command, http, or made by Aiven");
        assertThat(problems.get(9).message()).contains("is for forks on Aiven");
    }
}
