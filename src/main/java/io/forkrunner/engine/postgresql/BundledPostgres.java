package io.forkrunner.engine.postgresql;

import io.forkrunner.system.Command;
import io.forkrunner.system.DirectoryTree;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.ProcessRunner;
import io.forkrunner.system.ServiceUser;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;

/**
 * The PostgreSQL {@value PostgresBinaries#BUNDLED} server programs forkrunner carries on its classpath, unpacked once
 * into {@code /var/tmp/forkrunner/postgresql-17}: readable and runnable by every user, since the service user runs
 * them.
 */
final class BundledPostgres {

    private static final String ARCHIVE = "/postgres-linux-x86_64.txz";
    private static final Path CACHE = Path.of("/var/tmp/forkrunner/postgresql-" + PostgresBinaries.BUNDLED);

    private BundledPostgres() {}

    static synchronized Path unpack() {
        if (Files.isExecutable(CACHE.resolve("bin/postgres"))) {
            return CACHE;
        }
        try {
            Files.createDirectories(CACHE.getParent());
            Files.setPosixFilePermissions(CACHE.getParent(), PosixFilePermissions.fromString("rwxr-xr-x"));
            try (FileChannel channel = FileChannel.open(
                            CACHE.getParent().resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                    FileLock ignored = channel.lock()) {
                if (Files.isExecutable(CACHE.resolve("bin/postgres"))) {
                    return CACHE;
                }
                Path staging = Files.createTempDirectory(CACHE.getParent(), "unpacking");
                Path archive = staging.resolve("postgres.txz");
                try (InputStream in = BundledPostgres.class.getResourceAsStream(ARCHIVE)) {
                    if (in == null) {
                        throw new ForkrunnerException("forkrunner's PostgreSQL " + PostgresBinaries.BUNDLED
                                + " programs are missing from its classpath (" + ARCHIVE + ")");
                    }
                    Files.copy(in, archive);
                }
                Path tree = staging.resolve("tree");
                Files.createDirectories(tree);
                new ProcessRunner(ServiceUser.detect())
                        .run(Command.of("tar", "-xJf", archive.toString(), "-C", tree.toString())
                                .withTimeout(Duration.ofMinutes(5)));
                new ProcessRunner(ServiceUser.detect())
                        .run(Command.of("chmod", "-R", "a+rX", tree.toString()).withTimeout(Duration.ofMinutes(1)));
                Files.setPosixFilePermissions(tree, PosixFilePermissions.fromString("rwxr-xr-x"));
                Files.move(tree, CACHE, StandardCopyOption.ATOMIC_MOVE);
                DirectoryTree.delete(staging);
                return CACHE;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot unpack forkrunner's PostgreSQL " + PostgresBinaries.BUNDLED, e);
        }
    }
}
