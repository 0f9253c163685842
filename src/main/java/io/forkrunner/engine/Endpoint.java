package io.forkrunner.engine;

import io.forkrunner.definition.ServiceDefinition;
import io.forkrunner.system.Secret;
import io.forkrunner.system.Secrets;

/** Where a service answers and how to log in: the password resolved, never printed. */
public record Endpoint(String host, int port, String user, Secret password) {

    public static Endpoint of(ServiceDefinition service, Secrets secrets) {
        Secret password = service.password() == null ? null : secrets.resolve(service.password());
        return new Endpoint(service.host(), service.port(), service.user(), password);
    }

    @Override
    public String toString() {
        return user + "@" + host + ":" + port;
    }
}
