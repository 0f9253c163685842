package io.forkrunner;

import io.forkrunner.definition.DefinitionReader;
import io.forkrunner.definition.Definitions;
import io.forkrunner.definition.LiveDefinitions;
import io.forkrunner.system.Home;
import io.forkrunner.system.LockSessions;
import io.forkrunner.system.ProcessRunner;
import io.forkrunner.system.Secrets;
import io.forkrunner.system.ServiceUser;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.Banner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.context.annotation.ImportCandidates;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Forkrunner started for one command: definitions read and validated first (bad input changes nothing; a job whose
 * file has problems is left out, refused by name), then the metadata store found or started, then the Spring context:
 * the full one ({@link #boot}), or for a command that only reads a thin one ({@link #read}).
 */
public final class Forkrunner implements AutoCloseable {

    /** Set to {@code off}, read commands start the full context too. */
    static final String THIN_READS = "FORKRUNNER_THIN_READS";

    /** The packages (or class names) of the auto-configurations that only {@code serve} needs. */
    private static final List<String> SERVE_ONLY = List.of(
            "org.springframework.boot.actuate.",
            "org.springframework.boot.health.",
            "org.springframework.boot.micrometer.",
            "org.springframework.boot.servlet.",
            "org.springframework.boot.tomcat.",
            "org.springframework.boot.webmvc.",
            "org.springframework.boot.http.converter.",
            "org.springframework.boot.jdbc.autoconfigure.health.",
            "org.springframework.boot.jdbc.autoconfigure.metrics.",
            "org.springframework.boot.batch.autoconfigure.observation.",
            "org.springframework.boot.autoconfigure.admin.",
            "org.springframework.boot.autoconfigure.availability.",
            "org.springframework.boot.flyway.autoconfigure.FlywayEndpoint",
            "org.springframework.boot.quartz.autoconfigure.QuartzEndpoint");

    private final ConfigurableApplicationContext context;

    private Forkrunner(ConfigurableApplicationContext context) {
        this.context = context;
    }

    /** What every start needs before any context: the definitions, how to run processes, the metadata store. */
    record Start(
            Home home,
            Definitions definitions,
            ServiceUser serviceUser,
            ProcessRunner runner,
            Secrets secrets,
            MetadataStore.Location metadata) {

        static Start of(Home home) {
            Definitions definitions = DefinitionReader.readForRuns(home);
            ServiceUser serviceUser = ServiceUser.detect();
            ProcessRunner runner = new ProcessRunner(serviceUser);
            Secrets secrets = new Secrets(home, System.getenv());
            MetadataStore.Location metadata =
                    MetadataStore.prepare(home, definitions.settings().metadata(), secrets, runner);
            return new Start(home, definitions, serviceUser, runner, secrets, metadata);
        }

        /** What every context is given rather than makes: home, definitions, processes, secrets, lock sessions. */
        void register(ConfigurableListableBeanFactory beans) {
            beans.registerSingleton("home", home);
            beans.registerSingleton("definitions", new LiveDefinitions(definitions));
            beans.registerSingleton("serviceUser", serviceUser);
            beans.registerSingleton("processRunner", runner);
            beans.registerSingleton("secrets", secrets);
            beans.registerSingleton(
                    "lockSessions", new LockSessions(metadata.url(), metadata.user(), metadata.password()));
        }
    }

    public static Forkrunner boot(Home home, boolean web) {
        Start start = Start.of(home);
        return boot(start, web, Reading.migrated(start));
    }

    /** The full start; {@code migrated}: whether the store has every migration, so that Flyway need not run. */
    private static Forkrunner boot(Start start, boolean web, boolean migrated) {
        SpringApplication application = new SpringApplication(ForkrunnerApplication.class);
        application.setBannerMode(Banner.Mode.OFF);
        application.setLogStartupInfo(false);
        application.setWebApplicationType(web ? WebApplicationType.SERVLET : WebApplicationType.NONE);
        Map<String, Object> properties = new HashMap<>();
        properties.put("spring.datasource.url", start.metadata().url());
        properties.put("spring.datasource.username", start.metadata().user());
        if (start.metadata().password() != null) {
            properties.put(
                    "spring.datasource.password", start.metadata().password().reveal());
        }
        properties.put(
                "logging.file.name",
                start.home().logs().resolve("forkrunner.log").toString());
        properties.put("server.port", start.definitions().settings().api().port());
        properties.put("server.address", start.definitions().settings().api().address());
        if (migrated) {
            properties.put("spring.flyway.enabled", false);
        }
        if (!web) {
            // a command makes only the beans it uses, and none of what only serve offers
            properties.put("spring.main.lazy-initialization", true);
            properties.put("spring.autoconfigure.exclude", String.join(",", serveOnlyAutoConfigurations()));
        }
        application.setDefaultProperties(properties);
        application.addInitializers(context -> {
            start.register(context.getBeanFactory());
            if (!web) { // the metrics a run records, kept in memory: only serve exports them
                context.getBeanFactory().registerSingleton("meterRegistry", new SimpleMeterRegistry());
            }
        });
        return new Forkrunner(application.run());
    }

    /**
     * The auto-configurations of what only {@code serve} offers (the web server, its API plumbing, the actuator, health
     * and metrics export), as Spring Boot lists its candidates, left out of every other command's start.
     */
    private static List<String> serveOnlyAutoConfigurations() {
        return ImportCandidates.load(AutoConfiguration.class, Forkrunner.class.getClassLoader())
                .getCandidates()
                .stream()
                .filter(name -> SERVE_ONLY.stream().anyMatch(name::startsWith))
                .toList();
    }

    /**
     * Forkrunner for a command that only reads: a thin context (no scheduler, migrations, web server or job registry)
     * when the metadata store is migrated already and {@code thinAnswers} says the thin context can answer, else the
     * full start, which migrates the store and does what the command does before reading.
     */
    public static Forkrunner read(Home home, Predicate<Forkrunner> thinAnswers) {
        Start start = Start.of(home);
        if (!"off".equalsIgnoreCase(System.getenv(THIN_READS))) {
            Optional<ConfigurableApplicationContext> thin = Reading.open(start);
            if (thin.isEmpty()) { // the store lacks a migration: the full start makes it
                return boot(start, false, false);
            }
            Forkrunner reading = new Forkrunner(thin.get());
            boolean answers;
            try {
                answers = thinAnswers.test(reading);
            } catch (RuntimeException e) {
                reading.close();
                throw e;
            }
            if (answers) {
                return reading;
            }
            reading.close();
            return boot(start, false, true); // the thin context opened: the store has every migration
        }
        return boot(start, false, Reading.migrated(start));
    }

    /** Forkrunner for a command that only reads, which the thin context always answers once the store is migrated. */
    public static Forkrunner read(Home home) {
        return read(home, thin -> true);
    }

    public <T> T bean(Class<T> type) {
        return context.getBean(type);
    }

    /** The bean of {@code type}, when this context has one: the thin context of {@link #read} has few. */
    public <T> Optional<T> optionalBean(Class<T> type) {
        return Optional.ofNullable(context.getBeanProvider(type).getIfAvailable());
    }

    public ConfigurableApplicationContext context() {
        return context;
    }

    @Override
    public void close() {
        context.close();
    }
}
