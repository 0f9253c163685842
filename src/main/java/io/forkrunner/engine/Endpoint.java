package io.forkrunner.engine;

import io.forkrunner.definition.ServiceDefinition;
import io.forkrunner.system.Secret;
import io.forkrunner.system.Secrets;

/**
 * Where a service answers and how to log in: the password resolved, never printed. {@code tls}: the connection must be
 * encrypted, and is refused by a server that does not offer TLS; otherwise the client's default (PostgreSQL's: TLS when
 * offered). {@code certificateAuthority}: the PEM certificate of the authority that must have signed the server's
 * certificate, which must also name the host; null when the server's certificate is not verified.
 */
public record Endpoint(String host, int port, String user, Secret password, boolean tls, String certificateAuthority) {

    public Endpoint(String host, int port, String user, Secret password) {
        this(host, port, user, password, false, null);
    }

    public Endpoint(String host, int port, String user, Secret password, boolean tls) {
        this(host, port, user, password, tls, null);
    }

    /** This login over TLS, the server's certificate verified against {@code authority} (PEM) and the host. */
    public Endpoint verifiedBy(String authority) {
        return new Endpoint(host, port, user, password, true, authority);
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
