package io.forkrunner.engine.mariadb;

import io.forkrunner.system.ServiceUser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

/**
 * A MariaDB option file that hands one login to a client: mode 0600, owned by the service user the client runs as,
 * deleted on close. Clients are given it with {@code --defaults-file} as their first argument, so that they read this
 * file and no other: an option in {@code /etc/mysql} or a home's {@code .my.cnf} can neither point them at another
 * server (the machine's own on 3306) nor, for mariadb-backup, at another data directory. The password never reaches
 * argv or the environment. A login verified over TLS has its authority's certificate in a file beside it, named in it
 * and deleted with it.
 */
final class OptionFile implements AutoCloseable {

    private final Path path;
    private final Path certificateAuthority;

    private OptionFile(Path path, Path certificateAuthority) {
        this.path = path;
        this.certificateAuthority = certificateAuthority;
    }

    /** An option file with {@code login} in its {@code [client]} group, in {@code directory} (made the user's). */
    static OptionFile client(Path directory, ServiceUser user, MariaDbLogin login) {
        StringBuilder text = new StringBuilder("# written by forkrunner: one login for its own clients\n[client]\n");
        if (login.socket() != null) {
            text.append("protocol=SOCKET\nsocket=")
                    .append(quote(login.socket().toString()))
                    .append('\n');
        } else {
            text.append("protocol=TCP\nhost=").append(quote(login.host())).append('\n');
            text.append("port=").append(login.port()).append('\n');
        }
        text.append("user=").append(quote(login.user())).append('\n');
        text.append("password=").append(quote(login.password().reveal())).append('\n');
        user.privateDirectory(directory);
        String name = "client-" + UUID.randomUUID();
        Path authority = null;
        if (login.certificateAuthority() != null) {
            authority = directory.resolve(name + "-ca.pem");
            user.write(authority, login.certificateAuthority());
            text.append("ssl-ca=").append(quote(authority.toString())).append('\n');
            text.append("ssl-verify-server-cert\n");
        }
        Path path = directory.resolve(name + ".cnf");
        user.write(path, text.toString());
        return new OptionFile(path, authority);
    }

    /**
     * A value as option files read it: in double quotes, with backslash, double quote and line breaks escaped, so that
     * no value ends early, starts a comment or adds an option.
     */
    static String quote(String value) {
        StringBuilder quoted = new StringBuilder("\"");
        for (char c : value.toCharArray()) {
            switch (c) {
                case '\\' -> quoted.append("\\\\");
                case '"' -> quoted.append("\\\"");
                case '\n' -> quoted.append("\\n");
                case '\r' -> quoted.append("\\r");
                case '\t' -> quoted.append("\\t");
                default -> quoted.append(c);
            }
        }
        return quoted.append('"').toString();
    }

    Path path() {
        return path;
    }

    /** The argument that gives it to a client; it must come first in the client's argv. */
    String argument() {
        return "--defaults-file=" + path;
    }

    @Override
    public void close() {
        try {
            Files.deleteIfExists(path);
            if (certificateAuthority != null) {
                Files.deleteIfExists(certificateAuthority);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the option file " + path, e);
        }
    }
}
