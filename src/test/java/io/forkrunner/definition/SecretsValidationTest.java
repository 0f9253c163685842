package io.forkrunner.definition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.forkrunner.system.Home;
import io.forkrunner.system.Problem;
import io.forkrunner.system.SecretRef;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Secrets are written as references, {@code ${env:NAME}} or {@code ${file:PATH}}; a secret's text never shows. */
class SecretsValidationTest {

    private static final String LITERAL = "Hunter2-S3cret!";

    private final DefinitionHome home = DefinitionHome.create();

    private DefinitionHome servicePassword(String written) {
        return home.services(DefinitionHome.SERVICES + "    password: " + written + "\n");
    }

    @Test
    void anEnvironmentReferenceIsResolvedFromTheEnvironment() {
        servicePassword("${env:SHOP_PASSWORD}").env("SHOP_PASSWORD", "pw");

        SecretRef password = home.read().services().get("shop").password();

        assertThat(password).isEqualTo(new SecretRef(SecretRef.Kind.ENV, "SHOP_PASSWORD"));
    }

    @Test
    void aFileReferenceIsResolvedRelativeToTheHome() {
        servicePassword("${file:var/secrets/shop}").write("var/secrets/shop", "pw\n");

        SecretRef password = home.read().services().get("shop").password();

        assertThat(password).isEqualTo(new SecretRef(SecretRef.Kind.FILE, "var/secrets/shop"));
        assertThat(password.resolve(new Home(home.root()), Map.of()).secret().reveal())
                .as("the file's text without its newline")
                .isEqualTo("pw");
    }

    @Test
    void aFileReferenceMayBeAbsolute() {
        home.write("var/secrets/shop", "pw\n");
        String absolute = home.root().resolve("var/secrets/shop").toString();
        servicePassword("\"${file:" + absolute + "}\"");

        assertThat(home.read().services().get("shop").password())
                .isEqualTo(new SecretRef(SecretRef.Kind.FILE, absolute));
    }

    @Test
    void aMissingEnvironmentVariableIsRefusedNamingTheReference() {
        servicePassword("${env:SHOP_PASSWORD}").env("OTHER_PASSWORD", "pw");

        Problem problem = home.problem();

        assertThat(problem.file()).isEqualTo("config/services.yml");
        assertThat(problem.line()).isEqualTo(17);
        assertThat(problem.field()).isEqualTo("services.shop.password");
        assertThat(problem.value()).isEqualTo("${env:SHOP_PASSWORD}");
        assertThat(problem.message()).isEqualTo("cannot be resolved: environment variable SHOP_PASSWORD is not set");
        assertThat(problem.examples()).isEqualTo(SecretRef.EXAMPLES);
    }

    @Test
    void anEmptyEnvironmentVariableIsMissing() {
        servicePassword("${env:SHOP_PASSWORD}").env("SHOP_PASSWORD", "");

        assertThat(home.problem().message()).contains("SHOP_PASSWORD is not set");
    }

    @Test
    void aMissingFileIsRefusedNamingTheReferenceAndThePath() {
        servicePassword("${file:var/secrets/shop}");

        Problem problem = home.problem();

        assertThat(problem.value()).isEqualTo("${file:var/secrets/shop}");
        assertThat(problem.message())
                .contains("file " + home.root().resolve("var/secrets/shop"))
                .contains("does not exist");
    }

    @Test
    void anEmptyFileIsRefused() {
        servicePassword("${file:var/secrets/shop}").write("var/secrets/shop", "\n");

        assertThat(home.problem().message()).endsWith("is empty");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {LITERAL, "\"" + LITERAL + "\"", "$" + LITERAL, "${" + LITERAL + "}", "${vault:" + LITERAL + "}"})
    void aPasswordWrittenInTheFileIsRefusedWithoutRepeatingIt(String written) {
        servicePassword(written);

        Problem problem = home.problem();

        assertThat(problem.field()).isEqualTo("services.shop.password");
        assertThat(problem.line()).isEqualTo(17);
        assertThat(problem.value()).isEqualTo("(hidden)");
        assertThat(problem.message()).isEqualTo("must be a secret reference, not a value written in the file");
        assertThat(problem.examples()).isEqualTo(SecretRef.EXAMPLES);
        assertThat(home.report()).doesNotContain(LITERAL);
    }

    @Test
    void anEnvironmentReferenceWithAnInvalidNameIsRefusedWithoutRepeatingIt() {
        servicePassword("${env:" + LITERAL + "}");

        assertThat(home.problem().value()).isEqualTo("(hidden)");
        assertThat(home.report()).doesNotContain(LITERAL);
    }

    @Test
    void aNumericPasswordIsRefusedWithoutRepeatingIt() {
        servicePassword("8675309421");

        assertThat(home.problem().value()).isEqualTo("(hidden)");
        assertThat(home.report()).doesNotContain("8675309421");
    }

    @ParameterizedTest
    @ValueSource(strings = {"[" + LITERAL + "]", "{ value: " + LITERAL + " }"})
    void aPasswordWrittenAsAListOrMappingIsRefusedWithoutRepeatingIt(String written) {
        servicePassword(written);

        assertThat(home.problem())
                .extracting(Problem::field, Problem::message)
                .containsExactly("services.shop.password", "must be a single value, not a list or mapping");
        assertThat(home.report()).doesNotContain(LITERAL);
    }

    @Test
    void aPasswordWrittenTwiceIsRefusedWithoutRepeatingEither() {
        home.services(DefinitionHome.SERVICES + "    password: " + LITERAL + "\n    password: other-" + LITERAL + "\n");

        assertThat(home.problems())
                .extracting(Problem::field, Problem::message)
                .contains(tuple("services.shop.password", "is given twice"));
        assertThat(home.report()).doesNotContain(LITERAL);
    }

    @Test
    void secretsOfForkrunnerYmlAreRefusedWithoutRepeatingThem() {
        home.settings("""
                metadata:
                  password: %1$s
                api:
                  tokens:
                    - { name: ci, role: operator, secret: "%1$s" }
                    - { name: wall, role: viewer, secret: "${env:WALL_TOKEN}" }
                """.formatted(LITERAL));

        List<Problem> problems = home.problems();

        assertThat(problems)
                .extracting(Problem::field, Problem::value)
                .containsExactly(
                        tuple("metadata.password", "(hidden)"),
                        tuple("api.tokens[0].secret", "(hidden)"),
                        tuple("api.tokens[1].secret", "${env:WALL_TOKEN}"));
        assertThat(problems).extracting(Problem::line).containsExactly(2, 5, 6);
        assertThat(home.report()).doesNotContain(LITERAL);
    }

    @Test
    void aResolvedSecretNeverShowsInProblemsOfTheSameFile() {
        servicePassword("${file:var/secrets/shop}")
                .write("var/secrets/shop", LITERAL + "\n")
                .services(DefinitionHome.SERVICES.replace("port: 5432", "port: 0")
                        + "    password: ${file:var/secrets/shop}\n");

        assertThat(home.problem().field()).isEqualTo("services.shop.port");
        assertThat(home.report()).doesNotContain(LITERAL);
    }

    @Test
    void aReferenceIsWrittenBackAsReadInAnyLocale() {
        Locale before = Locale.getDefault();
        try {
            Locale.setDefault(Locale.forLanguageTag("tr-TR"));
            assertThat(SecretRef.parse("${file:/run/secrets/shop}").orElseThrow())
                    .hasToString("${file:/run/secrets/shop}");
            assertThat(SecretRef.parse("${env:SHOP_PASSWORD}").orElseThrow()).hasToString("${env:SHOP_PASSWORD}");
        } finally {
            Locale.setDefault(before);
        }
    }
}
