package io.forkrunner.engine;

import io.forkrunner.definition.ServiceDefinition;
import io.forkrunner.system.Secret;
import io.forkrunner.system.Secrets;

/**
 * Where a service answers and how to log in: the password resolved, never printed. {@code certificateAuthority}: the
 * PEM certificate of the authority that must have signed the server's certificate, which must also name the host: the
 * connection is then over TLS, and a server offering none or another certificate is refused; null for the client's
 * default (PostgreSQL's: TLS when offered, unverified).
 */
public record Endpoint(String host, int port, String user, Secret password, String certificateAuthority) {

    public Endpoint(String host, int port, String user, Secret password) {
        this(host, port, user, password, null);
    }

    /** This login over TLS, the server's certificate verified against {@code authority} (PEM) and the host. */
    public Endpoint verifiedBy(String authority) {
        return new Endpoint(host, port, user, password, authority);
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
