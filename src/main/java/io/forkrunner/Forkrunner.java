package io.forkrunner;

import io.forkrunner.definition.DefinitionReader;
import io.forkrunner.definition.Definitions;
import io.forkrunner.definition.LiveDefinitions;
import io.forkrunner.system.Home;
import io.forkrunner.system.MetadataStore;
import io.forkrunner.system.ProcessRunner;
import io.forkrunner.system.Secrets;
import io.forkrunner.system.ServiceUser;
import java.util.HashMap;
import java.util.Map;
import org.springframework.boot.Banner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Forkrunner started for one command: definitions read and validated first (bad input changes nothing; a job whose
 * file has problems is left out, refused by name), then the
 * metadata store found or started, then the Spring context.
 */
public final class Forkrunner implements AutoCloseable {

    private final ConfigurableApplicationContext context;

    private Forkrunner(ConfigurableApplicationContext context) {
        this.context = context;
    }

    public static Forkrunner boot(Home home, boolean web) {
        Definitions definitions = DefinitionReader.readForRuns(home);
        ServiceUser serviceUser = ServiceUser.detect();
        ProcessRunner runner = new ProcessRunner(serviceUser);
        Secrets secrets = new Secrets(home, System.getenv());
        MetadataStore.Location metadata =
                MetadataStore.prepare(home, definitions.settings().metadata(), secrets, runner);

        SpringApplication application = new SpringApplication(ForkrunnerApplication.class);
        application.setBannerMode(Banner.Mode.OFF);
        application.setLogStartupInfo(false);
        application.setWebApplicationType(web ? WebApplicationType.SERVLET : WebApplicationType.NONE);
        Map<String, Object> properties = new HashMap<>();
        properties.put("spring.datasource.url", metadata.url());
        properties.put("spring.datasource.username", metadata.user());
        if (metadata.password() != null) {
            properties.put("spring.datasource.password", metadata.password().reveal());
        }
        properties.put(
                "logging.file.name", home.logs().resolve("forkrunner.log").toString());
        properties.put("server.port", definitions.settings().api().port());
        properties.put("server.address", definitions.settings().api().address());
        application.setDefaultProperties(properties);
        application.addInitializers(context -> {
            var beans = context.getBeanFactory();
            beans.registerSingleton("home", home);
            beans.registerSingleton("definitions", new LiveDefinitions(definitions));
            beans.registerSingleton("serviceUser", serviceUser);
            beans.registerSingleton("processRunner", runner);
            beans.registerSingleton("secrets", secrets);
        });
        return new Forkrunner(application.run());
    }

    public <T> T bean(Class<T> type) {
        return context.getBean(type);
    }

    public ConfigurableApplicationContext context() {
        return context;
    }

    @Override
    public void close() {
        context.close();
    }
}
