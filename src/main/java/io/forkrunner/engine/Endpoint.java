package io.forkrunner.engine;

import io.forkrunner.definition.ServiceDefinition;
import io.forkrunner.system.Secret;
import io.forkrunner.system.Secrets;

/**
 * Where a service answers and how to log in: the password resolved, never printed. {@code tls}: the connection must be
 * encrypted, and is refused by a server that does not offer TLS (the server's certificate is not verified); otherwise
 * the client's default (PostgreSQL's: TLS when offered).
 */
public record Endpoint(String host, int port, String user, Secret password, boolean tls) {

    public Endpoint(String host, int port, String user, Secret password) {
        this(host, port, user, password, false);
    }

    public static Endpoint of(ServiceDefinition service, Secrets secrets) {
        Secret password = service.password() == null ? null : secrets.resolve(service.password());
        return new Endpoint(service.host(), service.port(), service.user(), password);
    }

    @Override
    public String toString() {
        return user + "@" + host + ":" + port;
    }
}
