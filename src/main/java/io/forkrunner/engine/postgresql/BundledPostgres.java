package io.forkrunner.engine.postgresql;

import io.forkrunner.system.Command;
import io.forkrunner.system.DirectoryTree;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.ProcessRunner;
import io.forkrunner.system.ServiceUser;
import io.forkrunner.system.Sha256;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The PostgreSQL {@value PostgresBinaries#BUNDLED} server programs forkrunner carries on its classpath, unpacked into
 * a directory only forkrunner's user can write ({@code /var/lib/forkrunner} as root, {@code ~/.forkrunner}
 * otherwise), readable and runnable by every user, since the service user runs them. Before use the unpacked tree is
 * checked against a manifest of the archive it came from: a tree that differs (a file changed, added or removed, or
 * another archive) is unpacked again.
 */
final class BundledPostgres {

    private static final String ARCHIVE = "/postgres-linux-x86_64.txz";
    private static final String NAME = "postgresql-" + PostgresBinaries.BUNDLED;
    /** Inside the unpacked tree: the archive's SHA-256, then one line per file, link and directory. */
    static final String MANIFEST = "forkrunner.sha256";

    private static Path verified;

    private BundledPostgres() {}

    /** The unpacked programs, checked once per process. */
    static synchronized Path unpack() {
        if (verified == null) {
            verified = unpack(defaultRoot());
        }
        return verified;
    }

    static Path defaultRoot() {
        return "root".equals(System.getProperty("user.name"))
                ? Path.of("/var/lib/forkrunner")
                : Path.of(System.getProperty("user.home"), ".forkrunner");
    }

    /** Unpacks the programs under {@code root} unless an unchanged copy of this archive is there already. */
    static Path unpack(Path root) {
        Path target = root.resolve(NAME);
        try {
            String archive = archiveDigest();
            Files.createDirectories(root);
            checkOnlyOwnerWrites(root);
            if (archive.equals(unchangedArchive(target))) {
                return target;
            }
            try (FileChannel channel = FileChannel.open(
                            root.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                    FileLock ignored = channel.lock()) {
                if (archive.equals(unchangedArchive(target))) {
                    return target; // another process unpacked it meanwhile
                }
                Path staging = Files.createTempDirectory(root, ".unpacking");
                try {
                    Path tree = extract(staging, archive);
                    replace(target, tree);
                } finally {
                    DirectoryTree.delete(staging);
                }
                return target;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot unpack forkrunner's PostgreSQL " + PostgresBinaries.BUNDLED + " into " + target, e);
        }
    }

    private static void checkOnlyOwnerWrites(Path root) throws IOException {
        PosixFileAttributes attributes =
                Files.readAttributes(root, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        String me = System.getProperty("user.name");
        Set<PosixFilePermission> permissions = attributes.permissions();
        if (!attributes.isDirectory()
                || !attributes.owner().getName().equals(me)
                || permissions.contains(PosixFilePermission.GROUP_WRITE)
                || permissions.contains(PosixFilePermission.OTHERS_WRITE)) {
            throw new ForkrunnerException(root + " must be a directory of user " + me + " that no one else may write"
                    + " (it is owned by " + attributes.owner().getName() + ", mode "
                    + PosixFilePermissions.toString(permissions) + (attributes.isSymbolicLink() ? ", a link" : "")
                    + "): forkrunner runs the PostgreSQL " + PostgresBinaries.BUNDLED + " programs it keeps there");
        }
    }

    private static Path extract(Path staging, String archiveDigest) throws IOException {
        Path archive = staging.resolve("postgres.txz");
        try (InputStream in = open()) {
            Files.copy(in, archive);
        }
        Path tree = staging.resolve("tree");
        Files.createDirectories(tree);
        ProcessRunner runner = new ProcessRunner(ServiceUser.detect());
        runner.run(Command.of("tar", "-xJf", archive.toString(), "-C", tree.toString(), "--no-same-owner")
                .withTimeout(Duration.ofMinutes(5)));
        runner.run(Command.of("chmod", "-R", "u+w,go-w,a+rX", tree.toString()).withTimeout(Duration.ofMinutes(1)));
        Files.writeString(tree.resolve(MANIFEST), manifest(tree, archiveDigest));
        Files.setPosixFilePermissions(tree.resolve(MANIFEST), PosixFilePermissions.fromString("rw-r--r--"));
        Files.setPosixFilePermissions(tree, PosixFilePermissions.fromString("rwxr-xr-x"));
        return tree;
    }

    /** Puts {@code tree} in {@code target}'s place; what was there is moved aside first, then removed. */
    private static void replace(Path target, Path tree) throws IOException {
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            Path aside = target.resolveSibling(".replaced-" + UUID.randomUUID());
            Files.move(target, aside, StandardCopyOption.ATOMIC_MOVE);
            DirectoryTree.delete(aside);
        }
        Files.move(tree, target, StandardCopyOption.ATOMIC_MOVE);
    }

    /** The archive's digest {@code target}'s manifest names when everything in {@code target} matches it, else null. */
    private static String unchangedArchive(Path target) throws IOException {
        Path file = target.resolve(MANIFEST);
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            return null;
        }
        String recorded = Files.readString(file);
        String archive = recorded.lines().findFirst().orElse("");
        return recorded.equals(manifest(target, archive)) ? archive : null;
    }

    /** One line per entry of {@code tree}, sorted: files with their SHA-256, links with where they point. */
    private static String manifest(Path tree, String archiveDigest) throws IOException {
        try (Stream<Path> entries = Files.walk(tree)) {
            StringBuilder text = new StringBuilder(archiveDigest).append('\n');
            for (Path entry : entries.sorted().toList()) {
                String relative = tree.relativize(entry).toString();
                if (relative.isEmpty() || relative.equals(MANIFEST)) {
                    continue;
                }
                PosixFileAttributes attributes =
                        Files.readAttributes(entry, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                String mode = PosixFilePermissions.toString(attributes.permissions());
                if (attributes.isSymbolicLink()) {
                    text.append("link ").append(Files.readSymbolicLink(entry));
                } else if (attributes.isDirectory()) {
                    text.append("directory ").append(mode);
                } else {
                    try (InputStream in = Files.newInputStream(entry, LinkOption.NOFOLLOW_LINKS)) {
                        text.append("file ").append(mode).append(' ').append(Sha256.hex(in));
                    }
                }
                text.append(' ').append(relative).append('\n');
            }
            return text.toString();
        }
    }

    private static String archiveDigest() throws IOException {
        try (InputStream in = open()) {
            return Sha256.hex(in);
        }
    }

    private static InputStream open() {
        InputStream in = BundledPostgres.class.getResourceAsStream(ARCHIVE);
        if (in == null) {
            throw new ForkrunnerException("forkrunner's PostgreSQL " + PostgresBinaries.BUNDLED
                    + " programs are missing from its classpath (" + ARCHIVE + ")");
        }
        return in;
    }
}
