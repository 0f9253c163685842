package io.forkrunner.api;

import io.forkrunner.definition.LiveDefinitions;
import io.forkrunner.system.Secrets;
import java.nio.file.Path;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import tools.jackson.databind.module.SimpleModule;
import tools.jackson.databind.ser.std.ToStringSerializer;

/** The REST API's wiring: tokens on {@code /api/*} and the metrics, paths written as plain strings. */
@Configuration
class ApiConfiguration {

    @Bean
    FilterRegistrationBean<ApiTokens> apiTokens(LiveDefinitions definitions, Secrets secrets) {
        FilterRegistrationBean<ApiTokens> registration =
                new FilterRegistrationBean<>(new ApiTokens(definitions, secrets));
        registration.addUrlPatterns("/api/*", "/actuator/prometheus");
        return registration;
    }

    @Bean
    SimpleModule plainPaths() {
        return new SimpleModule("plain-paths").addSerializer(Path.class, ToStringSerializer.instance);
    }
}
