package io.forkrunner.engine.postgresql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.forkrunner.system.DirectoryTree;
import io.forkrunner.system.ForkrunnerException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** PostgreSQL 17 as forkrunner carries it: unpacked where only its user writes, and used only as the jar holds it. */
class BundledPostgresTest {

    private Path root;

    @BeforeEach
    void privateRoot() throws Exception {
        Files.createDirectories(Path.of("target"));
        root = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "bundled-postgres");
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @AfterEach
    void removeRoot() {
        DirectoryTree.delete(root);
    }

    /**
     * Not {@code /var/tmp/forkrunner}, where any user could have prepared a {@code bin/postgres} before forkrunner
     * first ran (nothing is planted there here: other processes on this machine may still look there).
     */
    @Test
    void theProgramsLiveWhereOnlyForkrunnersUserMayWrite() throws Exception {
        Path postgres = Path.of(PostgresBinaries.of(PostgresBinaries.BUNDLED).path("postgres"));

        assertThat(postgres.startsWith(Path.of("/var/tmp")))
                .as(postgres + " under /var/tmp")
                .isFalse();
        for (Path directory = postgres.getParent(); directory != null; directory = directory.getParent()) {
            assertOnlyOwnerWrites(directory);
        }
        assertThat(version(postgres)).startsWith("postgres (PostgreSQL) 17.");
    }

    @Test
    void aTamperedProgramIsUnpackedAgainFromTheJar() throws Exception {
        Path unpacked = BundledPostgres.unpack(root);
        Path postgres = unpacked.resolve("bin/postgres");
        String original = sha256(postgres);
        Files.writeString(postgres, "#!/bin/sh\necho 'postgres (PostgreSQL) 17.0 tampered'\n");
        Path extra = unpacked.resolve("lib/planted.so");
        Files.writeString(extra, "not from the jar");

        Path again = BundledPostgres.unpack(root);

        assertThat(again).isEqualTo(unpacked);
        assertThat(sha256(postgres)).isEqualTo(original);
        assertThat(extra).doesNotExist();
        assertThat(version(postgres)).startsWith("postgres (PostgreSQL) 17.").doesNotContain("tampered");
    }

    @Test
    void anUnchangedCopyIsUsedAsItIs() throws Exception {
        Path unpacked = BundledPostgres.unpack(root);
        Path marker = unpacked.resolve("bin/postgres");
        Object inode = Files.readAttributes(marker, PosixFileAttributes.class).fileKey();

        BundledPostgres.unpack(root);

        assertThat(Files.readAttributes(marker, PosixFileAttributes.class).fileKey())
                .as("not unpacked again")
                .isEqualTo(inode);
    }

    @Test
    void aPlaceOthersMayWriteIsRefused() throws Exception {
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxrwxrwx"));

        ForkrunnerException refused =
                catchThrowableOfType(ForkrunnerException.class, () -> BundledPostgres.unpack(root));

        assertThat(refused).isNotNull();
        assertThat(refused.getMessage()).contains(root.toString(), "no one else may write", "rwxrwxrwx");
        assertThat(root.resolve("postgresql-17")).doesNotExist();
    }

    private static void assertOnlyOwnerWrites(Path directory) throws Exception {
        PosixFileAttributes attributes =
                Files.readAttributes(directory, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        assertThat(attributes.permissions())
                .as(directory + " may be written by its owner only")
                .doesNotContain(PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_WRITE);
        assertThat(attributes.owner().getName()).as(directory + "'s owner").isEqualTo("root");
    }

    private static String version(Path postgres) throws Exception {
        Process process = new ProcessBuilder(postgres.toString(), "--version")
                .redirectErrorStream(true)
                .start();
        String out = new String(process.getInputStream().readAllBytes()).strip();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return out;
    }

    private static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }
}
