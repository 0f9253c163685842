package io.forkrunner.definition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.forkrunner.system.BadInputException;
import io.forkrunner.system.Home;
import io.forkrunner.system.Problem;
import io.forkrunner.testing.CliResult;
import io.forkrunner.testing.TestHome;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A home for one definitions test under {@code target/test-homes}, with valid files to start from: each test writes
 * only the file it is about. No database is involved.
 */
final class DefinitionHome {

    static final String SERVICES = """
            regions:
              eu-local:
                provisioner: local
                root: var/regions/eu-local
                ports: 16000-16099
              us-local:
                provisioner: local
                root: var/regions/us-local
                ports: 16100-16199
            services:
              shop:
                engine: postgresql
                region: eu-local
                host: 127.0.0.1
                port: 5432
                user: postgres
            """;

    static final String JOB = """
            source: shop
            target:
              name: shop-dev-{date}
            """;

    private final Path root;
    private final Map<String, String> environment = new HashMap<>();

    private DefinitionHome(Path root) {
        this.root = root;
    }

    /** A home with {@link #SERVICES} and no job. */
    static DefinitionHome create() {
        Path root = Path.of("target", "test-homes", "definitions-" + UUID.randomUUID())
                .toAbsolutePath();
        DefinitionHome home = new DefinitionHome(root);
        home.write("config/services.yml", SERVICES);
        try {
            Files.createDirectories(root.resolve("jobs"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return home;
    }

    Path root() {
        return root;
    }

    DefinitionHome write(String relative, String text) {
        Path file = root.resolve(relative);
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    DefinitionHome delete(String relative) {
        try {
            Files.deleteIfExists(root.resolve(relative));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    DefinitionHome job(String name, String yaml) {
        return write("jobs/" + name + ".yml", yaml);
    }

    DefinitionHome services(String yaml) {
        return write("config/services.yml", yaml);
    }

    DefinitionHome settings(String yaml) {
        return write("config/forkrunner.yml", yaml);
    }

    DefinitionHome env(String name, String value) {
        environment.put(name, value);
        return this;
    }

    /** The definitions, which must be valid. */
    Definitions read() {
        return new DefinitionReader(new Home(root), Map.copyOf(environment)).read();
    }

    /** The definitions as a run reads them: a job whose file has problems is left out, refused by name. */
    Definitions readForRuns() {
        return new DefinitionReader(new Home(root), Map.copyOf(environment)).readForRuns();
    }

    /**
     * The jobs as their files are read, before their problems refuse them: what a job that is refused for another
     * reason would be.
     */
    Map<String, JobDefinition> jobsAsRead() {
        Scalars scalars = new Scalars(new Home(root), Map.copyOf(environment), new Problems());
        ServicesReader services = new ServicesReader(scalars);
        services.read();
        return new JobsReader(scalars, services).read();
    }

    /** {@code forkrunner validate} of this home, in this JVM. */
    CliResult validate() {
        return TestHome.cli(root, "validate");
    }

    /** The problems found, which must be some. */
    List<Problem> problems() {
        return refusal().problems();
    }

    /** The one problem found. */
    Problem problem() {
        List<Problem> problems = problems();
        assertThat(problems).as(describe(problems)).hasSize(1);
        return problems.get(0);
    }

    /** Every problem found, as the operator reads them. */
    String report() {
        return refusal().getMessage();
    }

    private BadInputException refusal() {
        BadInputException refused = catchThrowableOfType(BadInputException.class, this::read);
        assertThat(refused).as("the definitions of %s are refused", root).isNotNull();
        return refused;
    }

    static String describe(List<Problem> problems) {
        return String.join("\n", problems.stream().map(Problem::toString).toList());
    }
}
