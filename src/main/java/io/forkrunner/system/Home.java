package io.forkrunner.system;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A folder with {@code config/}, {@code jobs/} and {@code var/}: what forkrunner reads and where it keeps its own files. */
public record Home(Path root) {

    public Home {
        root = root.toAbsolutePath().normalize();
    }

    public Path config() {
        return root.resolve("config");
    }

    public Path jobs() {
        return root.resolve("jobs");
    }

    public Path var() {
        return root.resolve("var");
    }

    public Path logs() {
        return var().resolve("log");
    }

    /** Short-lived private files such as passfiles. */
    public Path run() {
        return var().resolve("run");
    }

    public Path backups(String service) {
        return var().resolve("backups").resolve(service);
    }

    /** A path as written in a file of this home: relative ones are relative to the home. */
    public Path resolve(String path) {
        return root.resolve(path).normalize();
    }

    /** The path relative to the home when it lies inside, for messages. */
    public String relative(Path path) {
        Path absolute = path.toAbsolutePath().normalize();
        return absolute.startsWith(root) ? root.relativize(absolute).toString() : absolute.toString();
    }

    public Path createDirectories(Path directory) {
        try {
            return Files.createDirectories(directory);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + directory, e);
        }
    }
}
