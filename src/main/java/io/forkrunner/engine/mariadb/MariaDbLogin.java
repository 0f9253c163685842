package io.forkrunner.engine.mariadb;

import io.forkrunner.system.Secret;
import java.nio.file.Path;
import java.util.Objects;

/**
 * How forkrunner's clients log in to a MariaDB server: over TCP to {@code host:port}, or through the server's socket
 * (then the client surely reaches the server whose files lie beside it). Exactly one of the two is given.
 *
 * @param host the server's address; null when {@code socket} is given
 * @param port the server's TCP port; 0 with a socket
 * @param socket the server's Unix socket; null when {@code host} is given
 * @param user the login
 * @param password its password; it reaches clients only through a 0600 option file ({@link OptionFile})
 * @param certificateAuthority over TCP, the PEM certificate of the authority that must have signed the server's, which
 *     must name {@code host}: the connection is then encrypted and verified; null for the client's default
 */
public record MariaDbLogin(
        String host, int port, Path socket, String user, Secret password, String certificateAuthority) {

    public MariaDbLogin {
        if ((host == null) == (socket == null)) {
            throw new IllegalArgumentException("a login goes over TCP (host and port) or a socket, exactly one");
        }
        if (host != null && (host.isBlank() || port < 1 || port > 65535)) {
            throw new IllegalArgumentException(
                    "a TCP login needs a host and a port in 1-65535, not " + host + ":" + port);
        }
        if (socket != null && (port != 0 || !socket.isAbsolute())) {
            throw new IllegalArgumentException("a socket login needs an absolute socket path and no port: " + socket);
        }
        if (user == null || user.isBlank() || user.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException("a login needs a user name without control characters");
        }
        Objects.requireNonNull(password, "password");
        if (socket != null && certificateAuthority != null) {
            throw new IllegalArgumentException("a socket login has no TLS to verify");
        }
    }

    public static MariaDbLogin tcp(String host, int port, String user, Secret password) {
        return new MariaDbLogin(host, port, null, user, password, null);
    }

    public static MariaDbLogin socket(Path socket, String user, Secret password) {
        return new MariaDbLogin(null, 0, socket, user, password, null);
    }

    /** This login over TLS, the server's certificate verified against {@code authority} (PEM) and the host. */
    public MariaDbLogin verifiedBy(String authority) {
        return new MariaDbLogin(host, port, socket, user, password, authority);
    }

    @Override
    public String toString() {
        return user + "@" + (host == null ? socket.toString() : host + ":" + port);
    }
}
