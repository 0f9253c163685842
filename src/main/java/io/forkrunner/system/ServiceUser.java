package io.forkrunner.system;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The unprivileged OS user that database servers and their tools run as. PostgreSQL refuses to run as root, so when
 * forkrunner runs as root it runs them through {@code runuser -u USER --} and hands them the files they need;
 * otherwise they run as forkrunner's own user.
 */
public final class ServiceUser {

    private final String name;
    private final boolean switching;

    private ServiceUser(String name, boolean switching) {
        this.name = name;
        this.switching = switching;
    }

    /** The user named by {@code FORKRUNNER_SERVICE_USER} (default {@code postgres}) when running as root. */
    public static ServiceUser detect() {
        boolean root = "root".equals(System.getProperty("user.name"));
        String name = System.getenv().getOrDefault("FORKRUNNER_SERVICE_USER", "postgres");
        return root ? new ServiceUser(name, true) : new ServiceUser(System.getProperty("user.name"), false);
    }

    public String name() {
        return name;
    }

    public boolean switching() {
        return switching;
    }

    /** The argv that runs {@code argv} as this user. */
    public List<String> wrap(List<String> argv) {
        if (!switching) {
            return argv;
        }
        List<String> wrapped = new ArrayList<>(List.of("runuser", "-u", name, "--"));
        wrapped.addAll(argv);
        return wrapped;
    }

    /** Makes {@code path} (and everything under it) belong to this user. */
    public void own(Path path) {
        if (!switching) {
            return;
        }
        try {
            UserPrincipal owner =
                    path.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(name);
            try (Stream<Path> tree = Files.walk(path)) {
                for (Path each : (Iterable<Path>) tree::iterator) {
                    Files.setOwner(each, owner);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot give " + path + " to user " + name, e);
        }
    }

    /** A directory only this user may enter (mode 0700), created with its parents when missing. */
    public Path privateDirectory(Path directory) {
        try {
            Files.createDirectories(directory);
            Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwx------"));
            own(directory);
            return directory;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + directory, e);
        }
    }
}
