package io.forkrunner.system;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The unprivileged OS user that database servers and their tools run as. PostgreSQL refuses to run as root, so when
 * forkrunner runs as root it runs them through {@code runuser -u USER --} and hands them the files they need;
 * otherwise they run as forkrunner's own user. Each engine has its own: {@code postgres} by default, {@code mysql} for
 * MariaDB.
 */
public final class ServiceUser {

    private static final Logger log = LoggerFactory.getLogger(ServiceUser.class);

    private final String name;
    private final boolean switching;

    private ServiceUser(String name, boolean switching) {
        this.name = name;
        this.switching = switching;
    }

    /** The user named by {@code FORKRUNNER_SERVICE_USER} (default {@code postgres}) when running as root. */
    public static ServiceUser detect() {
        return whenRoot(System.getenv().getOrDefault("FORKRUNNER_SERVICE_USER", "postgres"));
    }

    /**
     * The OS user {@code name} when running as root (e.g. {@code mysql}, which MariaDB runs as), otherwise forkrunner's
     * own user.
     */
    public static ServiceUser whenRoot(String name) {
        boolean root = "root".equals(System.getProperty("user.name"));
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

    /**
     * Makes {@code path} (and everything under it) belong to this user. A link is given over itself, never what it
     * points to: the user may have planted it in a directory it can write.
     */
    public void own(Path path) {
        if (!switching) {
            return;
        }
        try {
            UserPrincipal owner =
                    path.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(name);
            try (Stream<Path> tree = Files.walk(path)) {
                for (Path each : (Iterable<Path>) tree::iterator) {
                    Files.getFileAttributeView(each, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                            .setOwner(owner);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot give " + path + " to user " + name, e);
        }
    }

    /**
     * A directory only this user may enter (mode 0700), created with its parents when missing. A link in its place is
     * refused, never followed.
     */
    public Path privateDirectory(Path directory) {
        try {
            Files.createDirectories(directory);
            if (Files.isSymbolicLink(directory)) {
                throw new ForkrunnerException(directory + " is a link to " + Files.readSymbolicLink(directory)
                        + ", not a directory: forkrunner follows no link it did not make there. Remove the link.");
            }
            Files.getFileAttributeView(directory, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                    .setPermissions(PosixFilePermissions.fromString("rwx------"));
            own(directory);
            return directory;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + directory, e);
        }
    }

    /**
     * Writes {@code text} to {@code file} (mode 0600, this user's), in a directory this user may write: into a new file
     * beside it, moved over whatever is there. A link planted in its place is replaced, never written through.
     */
    public void write(Path file, String text) {
        Path fresh = file.resolveSibling("." + file.getFileName() + "." + UUID.randomUUID() + ".new");
        try {
            try (SeekableByteChannel channel = Files.newByteChannel(
                    fresh,
                    EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
                ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
                while (bytes.hasRemaining()) {
                    channel.write(bytes);
                }
            }
            own(fresh);
            Files.move(fresh, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        } finally {
            try {
                Files.deleteIfExists(fresh);
            } catch (IOException e) {
                log.warn("cannot remove {}: {}", fresh, e.toString());
            }
        }
    }

    /** The text of {@code file}, empty when it is missing; a link in its place is refused, never read through. */
    public static String readIfExists(Path file) {
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return "";
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + " (a link there is not followed)", e);
        }
    }
}
