package io.forkrunner.engine.postgresql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.forkrunner.engine.CopyRate;
import io.forkrunner.engine.Place;
import io.forkrunner.engine.Progress;
import io.forkrunner.system.DirectoryTree;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.Home;
import io.forkrunner.system.ProcessRunner;
import io.forkrunner.system.ServiceUser;
import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestHome;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Laying a backup down: a resumed lay-down pays the copy rate only for what it copies, and a file system without room
 * fails it with "no space left on device" and the path, before copying when it can tell, or naming the file. The
 * file-system cases mount small tmpfs file systems (the tests run as root).
 */
class LayDownTest {

    private static final int MB = 1024 * 1024;

    static TestHome home;
    static PostgresRestore restore;
    static Path backup;

    @BeforeAll
    static void aBackup() throws Exception {
        home = TestHome.create("lay-down");
        ProcessRunner runner = new ProcessRunner(ServiceUser.detect());
        restore = new PostgresRestore(new PostgresEngine(runner, new Home(home.root()), Clock.systemUTC()));
        backup = home.path("backup");
        write(backup.resolve("PG_VERSION"), 3);
        write(backup.resolve("base/1/1259"), 3 * MB);
        write(backup.resolve("base/1/2608"), 2 * MB);
        write(backup.resolve("base/5/16384"), 4 * MB);
        write(backup.resolve("global/1262"), MB);
    }

    @AfterAll
    static void close() {
        home.close();
    }

    @Test
    void aResumedLayDownUnderACopyRateIsChargedOnlyForTheBytesItCopies() throws Exception {
        Place place = new Place(home.path("var/regions/rate/fork"), Ports.one(), 15);
        CopyRate first = new CopyRate(0);
        restore.layDown(backup, place, first, Progress.NONE);
        assertThat(first.charged()).isEqualTo(DirectoryTree.size(backup));

        Path data = place.directory().resolve("data");
        Files.delete(data.resolve("base/1/2608"));
        try (var truncated =
                Files.newByteChannel(data.resolve("base/5/16384"), java.nio.file.StandardOpenOption.WRITE)) {
            truncated.truncate(MB);
        }
        CopyRate resumed = new CopyRate(1024L * MB);
        restore.layDown(backup, place, resumed, Progress.NONE);

        assertThat(resumed.charged()).as("bytes charged to the copy rate").isEqualTo(2L * MB + 4L * MB);
        assertThat(Files.mismatch(data.resolve("base/5/16384"), backup.resolve("base/5/16384")))
                .isEqualTo(-1);
        assertThat(Files.mismatch(data.resolve("base/1/2608"), backup.resolve("base/1/2608")))
                .isEqualTo(-1);
    }

    @Test
    void aFileSystemWithoutRoomIsRefusedBeforeAnythingIsCopied() throws Exception {
        Path root = home.tmpfs("var/regions/small", 4);
        try {
            Place place = new Place(root.resolve("fork"), Ports.one(), 15);
            assertThatThrownBy(() -> restore.layDown(backup, place, new CopyRate(0), Progress.NONE))
                    .isInstanceOf(ForkrunnerException.class)
                    .hasMessageContaining("no space left on device")
                    .hasMessageContaining(place.directory().resolve("data").toString());
            assertThat(DirectoryTree.size(place.directory())).isZero();
        } finally {
            TestHome.unmount(root);
        }
    }

    @Test
    void aDiskThatFillsDuringTheCopyFailsNamingTheFile() throws Exception {
        Path root = home.tmpfs("var/regions/filling", 16);
        try {
            Place place = new Place(root.resolve("fork"), Ports.one(), 15);
            // once the first bytes are copied the disk fills: most of the backup is still to be written
            CopyRate fillTheDisk = new CopyRate(0) {
                private boolean filled;

                @Override
                public synchronized void charge(long bytes) throws InterruptedException {
                    super.charge(bytes);
                    if (!filled) {
                        filled = true;
                        fill(root.resolve("filler"));
                    }
                }
            };
            assertThatThrownBy(() -> restore.layDown(backup, place, fillTheDisk, Progress.NONE))
                    .isInstanceOf(ForkrunnerException.class)
                    .hasMessageContaining(
                            "no space left on device: " + place.directory().resolve("data"));
        } finally {
            TestHome.unmount(root);
        }
    }

    /** Writes until the file system is full. */
    private static void fill(Path file) {
        byte[] block = new byte[64 * 1024];
        try (OutputStream out = Files.newOutputStream(file)) {
            while (true) {
                out.write(block);
            }
        } catch (IOException full) {
            // full
        }
    }

    private static void write(Path file, int bytes) throws IOException {
        Files.createDirectories(file.getParent());
        byte[] content = new byte[bytes];
        new Random(bytes).nextBytes(content);
        Files.write(file, content);
    }
}
