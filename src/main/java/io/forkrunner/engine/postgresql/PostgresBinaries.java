package io.forkrunner.engine.postgresql;

import io.forkrunner.system.ForkrunnerException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** The PostgreSQL programs of one major version. */
public record PostgresBinaries(int version, Path directory) {

    private static final Path DEBIAN = Path.of("/usr/lib/postgresql");
    /** The major whose server programs forkrunner carries (io.zonky.test.postgres binaries). */
    public static final int BUNDLED = 17;

    public Path program(String name) {
        return directory.resolve(name);
    }

    public String path(String name) {
        return program(name).toString();
    }

    /** The majors installed on this host, newest first. */
    public static List<Integer> installed() {
        if (!Files.isDirectory(DEBIAN)) {
            return List.of();
        }
        try (Stream<Path> versions = Files.list(DEBIAN)) {
            return versions.map(path -> path.getFileName().toString())
                    .filter(name -> name.matches("[0-9]+"))
                    .map(Integer::valueOf)
                    .filter(version -> Files.isExecutable(DEBIAN.resolve(version + "/bin/postgres")))
                    .sorted((a, b) -> b - a)
                    .toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /**
     * The programs of {@code version}: installed under /usr/lib/postgresql, or else the server programs forkrunner
     * carries for {@value #BUNDLED} (initdb, pg_ctl, postgres), unpacked once into a shared cache.
     */
    public static PostgresBinaries of(int version) {
        Path directory = DEBIAN.resolve(version + "/bin");
        if (Files.isExecutable(directory.resolve("postgres"))) {
            return new PostgresBinaries(version, directory);
        }
        if (version == BUNDLED) {
            return new PostgresBinaries(version, BundledPostgres.unpack().resolve("bin"));
        }
        throw new ForkrunnerException("PostgreSQL " + version + " is not installed here (no " + directory
                + "/postgres); installed: " + installed() + ", and forkrunner carries " + BUNDLED);
    }

    /** Whether {@code version}'s server can run here, installed or carried. */
    public static boolean available(int version) {
        return installed().contains(version) || version == BUNDLED;
    }

    public static PostgresBinaries newest() {
        List<Integer> versions = installed();
        if (versions.isEmpty()) {
            throw new ForkrunnerException("no PostgreSQL is installed under " + DEBIAN + "; install postgresql");
        }
        return of(versions.get(0));
    }
}
