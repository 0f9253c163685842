package io.forkrunner.system;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

/**
 * A file that hands one password to a child process: mode 0600, owned by the user the child runs as, deleted on
 * close. Children find a libpq passfile through {@code PGPASSFILE}, which names the file; the password itself never
 * reaches argv or the environment.
 */
public final class Passfile implements AutoCloseable {

    private final Path path;

    private Passfile(Path path) {
        this.path = path;
    }

    /** A libpq passfile with one line: the password of {@code login} at {@code host:port}, for any database. */
    public static Passfile write(Path directory, ServiceUser user, String host, int port, String login, Secret secret) {
        String line = String.join(":", escape(host), String.valueOf(port), "*", escape(login), escape(secret.reveal()));
        return create(directory, user, line);
    }

    /** A file holding just the password, as {@code initdb --pwfile} reads it. */
    public static Passfile plain(Path directory, ServiceUser user, Secret secret) {
        return create(directory, user, secret.reveal());
    }

    private static Passfile create(Path directory, ServiceUser user, String content) {
        user.privateDirectory(directory);
        Path path = directory.resolve("pass" + UUID.randomUUID());
        user.write(path, content + "\n");
        return new Passfile(path);
    }

    private static String escape(String field) {
        return field.replace("\\", "\\\\").replace(":", "\\:");
    }

    public Path path() {
        return path;
    }

    @Override
    public void close() {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete passfile " + path, e);
        }
    }
}
