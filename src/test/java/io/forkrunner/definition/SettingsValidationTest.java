package io.forkrunner.definition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.forkrunner.system.Problem;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code config/forkrunner.yml}: the metadata store and the API. */
class SettingsValidationTest {

    private final DefinitionHome home = DefinitionHome.create();

    @Test
    void aMetadataUrlThatIsNotPostgresqlJdbcIsRefused() {
        home.settings("metadata:\n  url: jdbc:mysql://127.0.0.1:3306/forkrunner\n");

        assertThat(home.problem())
                .extracting(Problem::file, Problem::line, Problem::field, Problem::value, Problem::examples)
                .containsExactly(
                        "config/forkrunner.yml",
                        2,
                        "metadata.url",
                        "jdbc:mysql://127.0.0.1:3306/forkrunner",
                        List.of(Settings.DEFAULT_METADATA_URL));
    }

    @Test
    void theApiListensOnLoopbackUnlessApiAddressSaysOtherwise() {
        assertThat(home.read().settings().api().address()).isEqualTo("127.0.0.1");

        home.settings("api:\n  address: 0.0.0.0\n");
        assertThat(home.read().settings().api().address()).isEqualTo("0.0.0.0");
    }

    @ParameterizedTest
    @ValueSource(strings = {"everywhere", "api.example.com", "300.1.1.1"})
    void anApiAddressThatIsNoIpAddressIsRefused(String address) {
        home.settings("api:\n  address: " + address + "\n");

        assertThat(home.problem())
                .extracting(Problem::file, Problem::field, Problem::value, Problem::message)
                .containsExactly("config/forkrunner.yml", "api.address", address, "is not an IP address to listen on");
    }

    @Test
    void aMetadataSectionWithOnlyAUserKeepsTheDefaultUrlAndCountsAsConfigured() {
        home.settings("metadata:\n  user: forkrunner\n");

        assertThat(home.read().settings().metadata())
                .isEqualTo(new Settings.Metadata(Settings.DEFAULT_METADATA_URL, "forkrunner", null, true));
    }

    @Test
    void runsTakeALeaseACopyRateAndASweepIntervalWithDefaults() {
        assertThat(home.read().settings().runs()).isEqualTo(Settings.Runs.DEFAULTS);
        assertThat(Settings.Runs.DEFAULTS.sweepEvery()).isEqualTo(java.time.Duration.ofSeconds(10));

        home.settings("runs:\n  lease: 15s\n  copy-rate: 20MB\n  sweep-every: 2s\n");

        assertThat(home.read().settings().runs())
                .isEqualTo(new Settings.Runs(
                        java.time.Duration.ofSeconds(15), 20L * 1024 * 1024, java.time.Duration.ofSeconds(2)));
    }

    @Test
    void aSweepIntervalThatIsNotADurationIsRefused() {
        home.settings("runs:\n  sweep-every: 0s\n");

        assertThat(home.problem())
                .extracting(Problem::line, Problem::field, Problem::value)
                .containsExactly(2, "runs.sweep-every", "0s");
    }

    @Test
    void aCopyRateThatIsNotBytesIsRefused() {
        home.settings("runs:\n  copy-rate: fast\n");

        assertThat(home.problem())
                .extracting(Problem::line, Problem::field, Problem::value)
                .containsExactly(2, "runs.copy-rate", "fast");
    }

    @Test
    void apiPortZeroMeansAnyFreePort() {
        home.settings("api:\n  port: 0\n");

        assertThat(home.read().settings().api().port()).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"-1", "65536", "http"})
    void anApiPortOutside1To65535IsRefused(String port) {
        home.settings("api:\n  port: " + port + "\n");

        assertThat(home.problem())
                .extracting(Problem::line, Problem::field, Problem::value)
                .containsExactly(2, "api.port", port);
    }

    @Test
    void aTokenNeedsANameAKnownRoleAndASecret() {
        home.settings("""
                api:
                  tokens:
                    - { name: ci, role: admin, secret: "${env:CI_TOKEN}" }
                    - { role: viewer }
                """).env("CI_TOKEN", "t");

        List<Problem> problems = home.problems();

        assertThat(problems)
                .as(DefinitionHome.describe(problems))
                .extracting(Problem::line, Problem::field, Problem::value, Problem::examples)
                .containsExactlyInAnyOrder(
                        tuple(3, "api.tokens[0].role", "admin", List.of("viewer", "operator")),
                        tuple(4, "api.tokens[1].name", null, List.of("ci", "wall")),
                        tuple(
                                4,
                                "api.tokens[1].secret",
                                null,
                                List.of("${env:SHOP_PASSWORD}", "${file:/run/secrets/shop}")));
    }
}
