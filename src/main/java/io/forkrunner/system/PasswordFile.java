package io.forkrunner.system;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.EnumSet;
import java.util.Set;

/** A password forkrunner generated and keeps in a file of its own, mode 0600, readable by root (or its user) only. */
public final class PasswordFile {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Set<PosixFilePermission> PRIVATE = PosixFilePermissions.fromString("rw-------");

    private PasswordFile() {}

    /** A new random password in {@code file}, replacing one a half-made instance left there. */
    public static Secret generate(Path file) {
        byte[] bytes = new byte[24];
        RANDOM.nextBytes(bytes);
        return write(file, new Secret(Base64.getUrlEncoder().withoutPadding().encodeToString(bytes)));
    }

    /** Keeps {@code password} in {@code file}, replacing what was there. */
    public static Secret write(Path file, Secret password) {
        try {
            Files.deleteIfExists(file);
            try (SeekableByteChannel channel = Files.newByteChannel(
                    file,
                    EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                    PosixFilePermissions.asFileAttribute(PRIVATE))) {
                channel.write(ByteBuffer.wrap((password.reveal() + "\n").getBytes(StandardCharsets.UTF_8)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the generated password " + file, e);
        }
        return password;
    }

    /**
     * The password in {@code file}, which holds {@code what} (e.g. "the password of forkrunner's own metadata
     * instance"); refused when anyone but its owner may read it, or when it is a link.
     */
    public static Secret read(Path file, String what) {
        try {
            if (Files.isSymbolicLink(file)) {
                throw new ForkrunnerException(file + " holds " + what + " and is a link: forkrunner follows no link"
                        + " it did not make there. Remove the link.");
            }
            Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS);
            if (!mode.equals(PRIVATE)) {
                throw new ForkrunnerException(file + " holds " + what + " and has mode "
                        + PosixFilePermissions.toString(mode) + ": it must be rw------- (chmod 600 " + file + ")");
            }
            return new Secret(Files.readString(file).strip());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ", which holds " + what, e);
        }
    }
}
