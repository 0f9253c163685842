package io.forkrunner.definition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.forkrunner.system.Problem;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ServiceValidationTest {

    private static final String REGION =
            "regions:\n  eu-local: { provisioner: local, root: var/regions/eu, ports: %s }\n";

    private final DefinitionHome home = DefinitionHome.create();

    /** {@link DefinitionHome#SERVICES} with {@code from} replaced by {@code to}, which must be there. */
    private DefinitionHome servicesWith(String from, String to) {
        assertThat(DefinitionHome.SERVICES).contains(from);
        return home.services(DefinitionHome.SERVICES.replace(from, to));
    }

    @Test
    void anOpenSearchServiceHasNoLoginAndOneThatNamesAUserIsRefused() {
        servicesWith("engine: postgresql", "engine: opensearch");

        Problem problem = home.problem();

        assertThat(problem)
                .extracting(Problem::file, Problem::field, Problem::value)
                .containsExactly("config/services.yml", "services.shop.user", "user");
        assertThat(problem.message()).startsWith("is not applicable to opensearch: forkrunner talks to its clusters");

        assertThat(DefinitionHome.SERVICES).endsWith("    user: postgres\n");
        home.services(DefinitionHome.SERVICES
                .replace("engine: postgresql", "engine: opensearch")
                .replace("    user: postgres\n", ""));
        assertThat(home.read().services().get("shop").engine()).isEqualTo("opensearch");
    }

    @Test
    void aSecurityConfigurationIsForSearchServicesAndMustHoldTheSecurityPluginsConfig() {
        home.write("var/security/config.yml", "_meta: { type: config, config_version: 2 }\n");
        servicesWith("    user: postgres\n", "    user: postgres\n    security: var/security\n");

        Problem notSearch = home.problem();
        assertThat(notSearch)
                .extracting(Problem::field, Problem::value)
                .containsExactly("services.shop.security", "security");
        assertThat(notSearch.message()).startsWith("is for search services (engine: opensearch)");

        String opensearch = DefinitionHome.SERVICES
                .replace("engine: postgresql", "engine: opensearch")
                .replace("    user: postgres\n", "");
        home.services(opensearch + "    security: var/security\n");
        assertThat(home.read().services().get("shop").security())
                .isEqualTo(home.root().toAbsolutePath().normalize().resolve("var/security"));

        home.services(opensearch + "    security: var\n");
        assertThat(home.problem())
                .extracting(Problem::field, Problem::value, Problem::message)
                .containsExactly(
                        "services.shop.security",
                        "var",
                        "is not a directory holding the security plugin's config.yml (paths are relative to the home "
                                + home.root().toAbsolutePath().normalize() + ")");
    }

    @ParameterizedTest
    @ValueSource(strings = {"mariadb", "mysql"})
    void aMysqlFamilyServiceIsForkedByTheMariaDbEngine(String engine) {
        servicesWith("engine: postgresql", "engine: " + engine);

        assertThat(home.read().services().get("shop").engine()).isEqualTo("mariadb");
    }

    @Test
    void aMariaDbServiceWithPoolsIsRefusedNamingThePools() {
        home.services(DefinitionHome.SERVICES.replace("engine: postgresql", "engine: mariadb")
                + "    pools:\n      - { name: app, database: shop, user: app, mode: transaction, size: 4 }\n");

        Problem problem = home.problem();

        assertThat(problem)
                .extracting(Problem::file, Problem::field, Problem::value)
                .containsExactly("config/services.yml", "services.shop.pools", "pools");
        assertThat(problem.message()).startsWith("is not applicable to mariadb");
    }

    @Test
    void aRedisServiceWithPoolsIsRefusedNamingThePools() {
        home.services(DefinitionHome.SERVICES.replace("engine: postgresql", "engine: redis")
                + "    pools:\n      - { name: app, database: shop, user: app, mode: transaction, size: 4 }\n");

        Problem problem = home.problem();

        assertThat(problem)
                .extracting(Problem::file, Problem::field, Problem::value)
                .containsExactly("config/services.yml", "services.shop.pools", "pools");
        assertThat(problem.message())
                .startsWith(
                        "is not applicable to redis: forkrunner keeps no connection pools for" + " caching services");
    }

    @Test
    void aRedisServiceHasNoChangeArchiveByDefaultAndOneThatAsksForItIsRefused() {
        home.services(DefinitionHome.SERVICES.replace("engine: postgresql", "engine: redis"));
        assertThat(home.read().services().get("shop").backups().wal()).isEqualTo(ServiceDefinition.Wal.NONE);

        home.services(DefinitionHome.SERVICES.replace("engine: postgresql", "engine: redis")
                + "    backups: { keep: 2, wal: stream }\n");

        Problem problem = home.problem();

        assertThat(problem)
                .extracting(Problem::file, Problem::field, Problem::value)
                .containsExactly("config/services.yml", "services.shop.backups.wal", "stream");
        assertThat(problem.message()).startsWith("is not possible for this engine: it has no change archive");
        assertThat(problem.examples()).containsExactly("none");
    }

    @Test
    void anUnknownEngineIsRefused() {
        servicesWith("engine: postgresql", "engine: oracle");

        assertThat(home.problem())
                .extracting(Problem::value, Problem::message)
                .containsExactly("oracle", "is not a known engine");
    }

    @Test
    void aServiceWithoutItsRequiredFieldsIsRefusedForEach() {
        home.services("regions:\n  eu-local: { provisioner: local, root: var/regions/eu, ports: 16000-16009 }\n"
                + "services:\n  shop:\n    password:\n");

        assertThat(home.problems())
                .extracting(Problem::field, Problem::value, Problem::message)
                .containsExactlyInAnyOrder(
                        tuple("services.shop.engine", null, "is required"),
                        tuple("services.shop.region", null, "is required"),
                        tuple("services.shop.host", null, "is required"),
                        tuple("services.shop.port", null, "is required"),
                        tuple("services.shop.user", null, "is required"));
    }

    @Test
    void aServiceInAnUndeclaredRegionIsRefused() {
        servicesWith("region: eu-local", "region: ap-local");

        Problem problem = home.problem();

        assertThat(problem.field()).isEqualTo("services.shop.region");
        assertThat(problem.value()).isEqualTo("ap-local");
        assertThat(problem.line()).isEqualTo(13);
        assertThat(problem.examples()).containsExactly("eu-local", "us-local");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "65536", "-1", "postgres"})
    void aServicePortOutside1To65535IsRefused(String port) {
        servicesWith("port: 5432", "port: " + port);

        Problem problem = home.problem();

        assertThat(problem.field()).isEqualTo("services.shop.port");
        assertThat(problem.value()).isEqualTo(port);
        assertThat(problem.examples()).contains("5432");
    }

    @ParameterizedTest
    @ValueSource(strings = {"1", "65535"})
    void theEndsOfThePortRangeAreAccepted(String port) {
        servicesWith("port: 5432", "port: " + port);

        assertThat(home.read().services().get("shop").port()).isEqualTo(Integer.parseInt(port));
    }

    @ParameterizedTest
    @ValueSource(strings = {"Shop", "shop_eu", "9shop", "shop.eu"})
    void aServiceWithAnInvalidNameIsRefused(String name) {
        servicesWith("  shop:", "  " + name + ":");

        Problem problem = home.problem();

        assertThat(problem.field()).isEqualTo("services." + name);
        assertThat(problem.value()).isEqualTo(name);
        assertThat(problem.line()).isEqualTo(11);
        assertThat(problem.message()).contains("[a-z][a-z0-9-]{0,62}");
        assertThat(problem.examples()).isEqualTo(Names.EXAMPLES);
    }

    @Test
    void aRegionWithAnInvalidNameIsRefused() {
        home.services("regions:\n  EU: { provisioner: local, root: var/regions/eu, ports: 16000-16009 }\n");

        assertThat(home.problem())
                .extracting(Problem::field, Problem::value, Problem::line)
                .containsExactly("regions.EU", "EU", 2);
    }

    @Test
    void anUnknownProvisionerIsRefused() {
        home.services("regions:\n  eu-local: { provisioner: docker, root: var/regions/eu, ports: 16000-16009 }\n");

        assertThat(home.problem())
                .extracting(Problem::field, Problem::value, Problem::message, Problem::examples)
                .containsExactly(
                        "regions.eu-local.provisioner",
                        "docker",
                        "is not a known provisioner",
                        List.of("local", "aiven"));
    }

    @Test
    void aRegionWithoutItsFieldsIsRefusedForEach() {
        home.services("regions:\n  eu-local: {}\n");

        assertThat(home.problems())
                .extracting(Problem::field, Problem::message)
                .containsExactlyInAnyOrder(
                        tuple("regions.eu-local.provisioner", "is required"),
                        tuple("regions.eu-local.root", "is required"),
                        tuple("regions.eu-local.ports", "is required"));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {"16000", "1000-1100", "1023-2000", "16099-16000", "60000-65536", "16000-", "a-b", "16000..16099"
            })
    void portsThatAreNotARangeWithin1024To65535AreRefused(String ports) {
        home.services(REGION.formatted("\"" + ports + "\""));

        Problem problem = home.problem();

        assertThat(problem.field()).isEqualTo("regions.eu-local.ports");
        assertThat(problem.value()).isEqualTo(ports);
        assertThat(problem.message()).contains("FIRST-LAST", "1024-65535");
        assertThat(problem.examples()).isEqualTo(PortRange.EXAMPLES);
    }

    @ParameterizedTest
    @ValueSource(strings = {"1024-65535", "16000-16000", "16000 - 16099"})
    void portRangesWithin1024To65535AreAccepted(String ports) {
        home.services(REGION.formatted("\"" + ports + "\""));

        assertThat(home.read().regions().get("eu-local").ports())
                .isEqualTo(PortRange.parse(ports).orElseThrow());
    }

    @Test
    void overlappingPortRangesOfTwoRegionsAreRefused() {
        home.services("""
                regions:
                  eu-local: { provisioner: local, root: var/regions/eu, ports: 16000-16099 }
                  us-local: { provisioner: local, root: var/regions/us, ports: 16099-16199 }
                  ap-local: { provisioner: local, root: var/regions/ap, ports: 16200-16299 }
                """);

        Problem problem = home.problem();

        assertThat(problem)
                .extracting(Problem::line, Problem::field, Problem::value)
                .containsExactly(3, "regions.us-local.ports", "16099-16199");
        assertThat(problem.message()).contains("overlaps", "eu-local", "16000-16099");
    }

    @Test
    void aRangeOverlappingTwoRegionsNamesBoth() {
        home.services("""
                regions:
                  eu-local: { provisioner: local, root: var/regions/eu, ports: 16000-16099 }
                  us-local: { provisioner: local, root: var/regions/us, ports: 16100-16199 }
                  ap-local: { provisioner: local, root: var/regions/ap, ports: 16050-16150 }
                """);

        assertThat(home.problems())
                .extracting(Problem::field, Problem::message)
                .containsExactly(
                        tuple("regions.ap-local.ports", "overlaps the ports of region eu-local (16000-16099)"),
                        tuple("regions.ap-local.ports", "overlaps the ports of region us-local (16100-16199)"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"1 day", "0s", "24", "h", "-1h", "1.5h"})
    void aBackupIntervalThatIsNotADurationIsRefused(String every) {
        home.services(DefinitionHome.SERVICES + "    backups:\n      every: \"" + every + "\"\n");

        assertThat(home.problem())
                .extracting(Problem::field, Problem::value, Problem::message, Problem::examples)
                .containsExactly("services.shop.backups.every", every, "is not a duration", Durations.EXAMPLES);
    }

    @Test
    void backupsKeepAtLeastOne() {
        home.services(DefinitionHome.SERVICES + "    backups:\n      keep: 0\n");

        assertThat(home.problem())
                .extracting(Problem::field, Problem::value, Problem::message)
                .containsExactly("services.shop.backups.keep", "0", "must be at least 1");
    }

    @ParameterizedTest
    @ValueSource(strings = {"5 gigs", "-1GB", "1.5GB", "5TB"})
    void maxRetainedThatIsNotASizeIsRefusedNamingFileFieldAndValue(String size) {
        home.services(DefinitionHome.SERVICES + "    backups:\n      max-retained: \"" + size + "\"\n");

        assertThat(home.problem())
                .extracting(Problem::file, Problem::field, Problem::value, Problem::message)
                .containsExactly(
                        "config/services.yml", "services.shop.backups.max-retained", size, "is not a number of bytes");
    }

    @Test
    void maxRetainedIsAtLeastOneByteAndFiveGigabytesUnlessSaid() {
        home.services(DefinitionHome.SERVICES + "    backups:\n      max-retained: 0\n");
        assertThat(home.problem())
                .extracting(Problem::field, Problem::value, Problem::message)
                .containsExactly("services.shop.backups.max-retained", "0", "must be at least 1 byte");

        home.services(DefinitionHome.SERVICES);
        assertThat(home.read().requireService("shop").backups().maxRetainedBytes())
                .isEqualTo(5L * 1024 * 1024 * 1024);
        home.services(DefinitionHome.SERVICES + "    backups:\n      max-retained: 512MB\n");
        assertThat(home.read().requireService("shop").backups().maxRetainedBytes())
                .isEqualTo(512L * 1024 * 1024);
    }

    @Test
    void serviceNotificationsNameAServiceEventAndAUrl() {
        home.services(DefinitionHome.SERVICES + "    notifications:\n"
                + "      - { on: wal-gap, url: \"http://127.0.0.1:8089/gaps\" }\n"
                + "      - { on: backup-failed, url: \"http://127.0.0.1:8089/backups\" }\n");

        assertThat(home.problem())
                .extracting(Problem::field, Problem::value, Problem::examples)
                .containsExactly(
                        "services.shop.notifications[1].on", "backup-failed", List.of("backup-failure", "wal-gap"));
    }

    @Test
    void walIsStreamOrNone() {
        home.services(DefinitionHome.SERVICES + "    backups:\n      wal: archive\n");

        assertThat(home.problem())
                .extracting(Problem::field, Problem::value, Problem::examples)
                .containsExactly("services.shop.backups.wal", "archive", List.of("stream", "none"));
    }

    @Test
    void poolsNeedANameDatabaseAndUserAndAKnownMode() {
        home.services(DefinitionHome.SERVICES + """
                    pools:
                      - { name: App, database: shop, user: app }
                      - { name: app, mode: batch, size: 0 }
                """);

        List<Problem> problems = home.problems();

        assertThat(problems)
                .as(DefinitionHome.describe(problems))
                .extracting(Problem::field, Problem::value)
                .containsExactlyInAnyOrder(
                        tuple("services.shop.pools[0].name", "App"),
                        tuple("services.shop.pools[1].database", null),
                        tuple("services.shop.pools[1].user", null),
                        tuple("services.shop.pools[1].mode", "batch"),
                        tuple("services.shop.pools[1].size", "0"));
    }

    @Test
    void aJobOfAServiceWithABadPortIsNotAlsoReportedAsUndeclared() {
        servicesWith("port: 5432", "port: 0");
        home.job("shop-dev", DefinitionHome.JOB);

        assertThat(home.problem().field()).isEqualTo("services.shop.port");
    }

    @Test
    void aServiceAndAJobInARegionWithBadPortsAreNotAlsoReportedAsUndeclared() {
        servicesWith("ports: 16000-16099", "ports: 16000");
        home.job("shop-dev", DefinitionHome.JOB + "  region: eu-local\n");

        assertThat(home.problem())
                .extracting(Problem::field, Problem::value)
                .containsExactly("regions.eu-local.ports", "16000");
    }

    @Test
    void invalidNamesAreNotOfferedAsExamples() {
        home.services(DefinitionHome.SERVICES.replace("  us-local:", "  US:"))
                .job("shop-dev", DefinitionHome.JOB + "  region: ap-local\n");

        List<Problem> problems = home.problems();

        assertThat(problems).extracting(Problem::field).containsExactly("regions.US", "target.region");
        assertThat(problems.get(1).examples()).containsExactly("eu-local");
    }

    @Test
    void aJobOfAnInvalidServiceIsNotAlsoReportedAsUndeclared() {
        servicesWith("engine: postgresql", "engine: aiven");
        home.job("shop-dev", DefinitionHome.JOB);

        assertThat(home.problem().field()).isEqualTo("services.shop.engine");
    }

    @Test
    void aServiceInAnInvalidRegionIsNotAlsoReportedAsUndeclared() {
        servicesWith("provisioner: local\n    root: var/regions/eu-local", "provisioner: docker\n    root: x");
        home.job("shop-dev", DefinitionHome.JOB + "  region: eu-local\n");

        assertThat(home.problem().field()).isEqualTo("regions.eu-local.provisioner");
    }
}
