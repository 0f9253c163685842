package io.forkrunner.system;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

/**
 * A file that hands one password to a child process: mode 0600, owned by the user the child runs as, deleted on
 * close. Children find a libpq passfile through {@code PGPASSFILE}, which names the file; the password itself never
 * reaches argv or the environment. A login whose server's certificate is verified has the certificate of the authority
 * that signed it in a file beside it ({@link #certificateAuthority}), deleted with it.
 */
public final class Passfile implements AutoCloseable {

    private final Path path;
    private final Path certificateAuthority;

    private Passfile(Path path, Path certificateAuthority) {
        this.path = path;
        this.certificateAuthority = certificateAuthority;
    }

    /** A libpq passfile with one line: the password of {@code login} at {@code host:port}, for any database. */
    public static Passfile write(Path directory, ServiceUser user, String host, int port, String login, Secret secret) {
        return write(directory, user, host, port, login, secret, null);
    }

    /** The same, with {@code authority} (PEM; null for none) in a file beside it for the child's verifying of TLS. */
    public static Passfile write(
            Path directory, ServiceUser user, String host, int port, String login, Secret secret, String authority) {
        String line = String.join(":", escape(host), String.valueOf(port), "*", escape(login), escape(secret.reveal()));
        return create(directory, user, line, authority);
    }

    /** A file holding just the password, as {@code initdb --pwfile} reads it. */
    public static Passfile plain(Path directory, ServiceUser user, Secret secret) {
        return create(directory, user, secret.reveal(), null);
    }

    private static Passfile create(Path directory, ServiceUser user, String content, String authority) {
        user.privateDirectory(directory);
        Path path = directory.resolve("pass" + UUID.randomUUID());
        Path authorityFile = null;
        if (authority != null) {
            authorityFile = path.resolveSibling(path.getFileName() + "-ca.pem");
            user.write(authorityFile, authority);
        }
        user.write(path, content + "\n");
        return new Passfile(path, authorityFile);
    }

    private static String escape(String field) {
        return field.replace("\\", "\\\\").replace(":", "\\:");
    }

    public Path path() {
        return path;
    }

    /** The file of the certificate authority that must have signed the server's certificate; null for none. */
    public Path certificateAuthority() {
        return certificateAuthority;
    }

    @Override
    public void close() {
        try {
            Files.deleteIfExists(path);
            if (certificateAuthority != null) {
                Files.deleteIfExists(certificateAuthority);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete passfile " + path, e);
        }
    }
}
