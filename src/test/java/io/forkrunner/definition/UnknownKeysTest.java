package io.forkrunner.definition;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkrunner.system.Problem;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** A typo in a key never silently becomes a default: every level names the key and lists the valid ones. */
class UnknownKeysTest {

    private static final String SETTINGS = "config/forkrunner.yml";
    private static final String SERVICES = "config/services.yml";
    private static final String JOB = "jobs/shop-dev.yml";

    private final DefinitionHome home = DefinitionHome.create();

    static Stream<Arguments> unknownKeys() {
        return Stream.of(
                unknown(
                        JOB,
                        DefinitionHome.JOB + "sorce: shop\n",
                        4,
                        "sorce",
                        "description",
                        "source",
                        "database",
                        "target",
                        "sso",
                        "from",
                        "schedule",
                        "users",
                        "pools",
                        "events",
                        "integrations",
                        "checks",
                        "tests",
                        "retention",
                        "notifications"),
                unknown(
                        JOB,
                        DefinitionHome.JOB + "  regoin: us-local\n",
                        4,
                        "target.regoin",
                        "name",
                        "region",
                        "server",
                        "database",
                        "engine",
                        "nodes",
                        "version"),
                unknown(
                        JOB,
                        DefinitionHome.JOB + "schedule:\n  cron: \"0 30 2 * * ?\"\n  timezone: UTC\n",
                        6,
                        "schedule.timezone",
                        "cron",
                        "zone",
                        "misfire",
                        "overlap"),
                unknown(JOB, DefinitionHome.JOB + "retention:\n  count: 3\n", 5, "retention.count", "keep", "ttl"),
                unknown(
                        JOB,
                        DefinitionHome.JOB + "integrations:\n  - { type: prometheus, file: var/f.json, path: var/g }\n",
                        5,
                        "integrations[0].path",
                        "type",
                        "file",
                        "url",
                        "argv"),
                unknown(
                        JOB,
                        DefinitionHome.JOB
                                + "notifications:\n  - { on: failure, url: \"http://127.0.0.1:8089/f\", when: now }\n",
                        5,
                        "notifications[0].when",
                        "on",
                        "url",
                        "after"),
                unknown(SERVICES, DefinitionHome.SERVICES + "service: {}\n", 17, "service", "regions", "services"),
                unknown(
                        SERVICES,
                        DefinitionHome.SERVICES.replace(
                                "    ports: 16100-16199\n", "    ports: 16100-16199\n    zone: x\n"),
                        10,
                        "regions.us-local.zone",
                        "provisioner",
                        "root",
                        "ports"),
                unknown(
                        SERVICES,
                        DefinitionHome.SERVICES + "    hots: db\n",
                        17,
                        "services.shop.hots",
                        "engine",
                        "region",
                        "host",
                        "port",
                        "user",
                        "password",
                        "security",
                        "backups",
                        "pools",
                        "pooler",
                        "notifications",
                        "nodes",
                        "jmx"),
                unknown(
                        SERVICES,
                        DefinitionHome.SERVICES + "    backups:\n      retain: 3\n",
                        18,
                        "services.shop.backups.retain",
                        "every",
                        "keep",
                        "wal",
                        "max-retained"),
                unknown(
                        SERVICES,
                        DefinitionHome.SERVICES
                                + "    pools:\n      - { name: app, database: shop, user: app, pool_mode: x }\n",
                        18,
                        "services.shop.pools[0].pool_mode",
                        "name",
                        "database",
                        "user",
                        "mode",
                        "size"),
                unknown(SETTINGS, "metdata:\n  user: postgres\n", 1, "metdata", "metadata", "api", "runs"),
                unknown(
                        SETTINGS,
                        "metadata:\n  username: postgres\n",
                        2,
                        "metadata.username",
                        "url",
                        "user",
                        "password"),
                unknown(SETTINGS, "api:\n  port: 8080\n  host: 0.0.0.0\n", 3, "api.host", "port", "address", "tokens"),
                unknown(
                        SETTINGS,
                        "api:\n  tokens:\n    - { name: ci, role: viewer, secret: \"${env:CI_TOKEN}\", scope: all }\n",
                        3,
                        "api.tokens[0].scope",
                        "name",
                        "role",
                        "secret"));
    }

    private static Arguments unknown(String file, String yaml, int line, String field, String... validKeys) {
        return Arguments.of(file, yaml, line, field, List.of(validKeys));
    }

    @ParameterizedTest(name = "{3} in {0}")
    @MethodSource("unknownKeys")
    void anUnknownKeyIsRefusedNamingItAndTheValidKeys(
            String file, String yaml, int line, String field, List<String> validKeys) {
        home.env("CI_TOKEN", "token-of-ci").write(file, yaml);

        Problem problem = home.problem();

        String key = field.substring(field.lastIndexOf('.') + 1);
        assertThat(problem.file()).isEqualTo(file);
        assertThat(problem.line()).isEqualTo(line);
        assertThat(problem.field()).isEqualTo(field);
        assertThat(problem.value()).isEqualTo(key);
        assertThat(problem.message()).isEqualTo("is not a known key here");
        assertThat(problem.examples()).containsExactlyInAnyOrderElementsOf(validKeys);
        assertThat(problem.toString()).contains(field, "\"" + key + "\"", String.join(", ", problem.examples()));
    }

    @Test
    void everyUnknownKeyOfAFileIsReported() {
        home.job("shop-dev", DefinitionHome.JOB + "  regoin: us-local\nschedual:\n  cron: x\nretain: 3\n");

        assertThat(home.problems())
                .extracting(Problem::field)
                .containsExactlyInAnyOrder("target.regoin", "schedual", "retain");
    }
}
