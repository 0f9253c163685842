package io.forkrunner.engine.mariadb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.ProcessRunner;
import io.forkrunner.system.Secret;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The binlog archive as files on disk, and the stream's choices, without a server. */
class MariaDbBinlogArchiveTest {

    @TempDir
    Path directory;

    private MariaDbBinlogArchive archive() {
        return new MariaDbBinlogArchive(
                directory, new ProcessRunner(MariaDbServer.serviceUser()), MariaDbBinaries.debian());
    }

    private void files(String... names) throws IOException {
        for (String name : names) {
            Files.write(directory.resolve(name), new byte[100]);
        }
    }

    @Test
    void aPositionIsFileColonPosition() {
        BinlogPosition position = BinlogPosition.parse("binlog.000003:883");

        assertThat(position).isEqualTo(new BinlogPosition("binlog.000003", 883, ""));
        assertThat(position.toString()).isEqualTo("binlog.000003:883");
        assertThatThrownBy(() -> BinlogPosition.parse("../x.000001:4")).isInstanceOf(ForkrunnerException.class);
        assertThatThrownBy(() -> BinlogPosition.parse("binlog.000001")).isInstanceOf(ForkrunnerException.class);
    }

    @Test
    void countsOnlyRegularFilesWithBinlogNames() throws IOException {
        files("binlog.000001", "binlog.000002", "binlog.index", "notes.txt");
        Files.createSymbolicLink(directory.resolve("binlog.000003"), Path.of("/etc/hostname"));

        MariaDbBinlogArchive archive = archive();

        assertThat(archive.segmentCount()).isEqualTo(2);
        assertThat(archive.sizeBytes()).isEqualTo(200);
        assertThat(archive.oldestSegment()).contains("binlog.000001");
        assertThat(archive.newestSegment()).contains("binlog.000002");
    }

    @Test
    void ordersBySequenceNumberNotByText() throws IOException {
        files("binlog.999999", "binlog.1000000");

        assertThat(archive().newestSegment()).contains("binlog.1000000");
        assertThat(archive().gapsFrom("binlog.999999:4")).isEmpty();
    }

    @Test
    void reportsTheFilesMissingBetweenAPositionAndTheNewest() throws IOException {
        files("binlog.000002", "binlog.000004", "binlog.000006");

        MariaDbBinlogArchive archive = archive();

        assertThat(archive.gapsFrom("binlog.000001:4"))
                .containsExactly("binlog.000001", "binlog.000003", "binlog.000005");
        assertThat(archive.gapsFrom("binlog.000004:883")).containsExactly("binlog.000005");
        assertThat(archive.continuousFrom("binlog.000006:4")).isTrue();
        assertThat(archive.continuousFrom("binlog.000004:4")).isFalse();
        assertThat(archive.continuousFrom("binlog.000007:4"))
                .as("past the archive's end")
                .isFalse();
    }

    @Test
    void prunesOnlyOlderBinlogFilesAndNoLink() throws IOException {
        files("binlog.000001", "binlog.000002", "binlog.000003", "binlog.index", "keep.000001.txt");
        Path outside = Files.createTempFile("forkrunner-outside", ".000001");
        try {
            Files.createSymbolicLink(directory.resolve("binlog.000000"), outside);

            int removed = archive().pruneBefore("binlog.000003:4");

            assertThat(removed).isEqualTo(2);
            assertThat(directory.resolve("binlog.000003")).exists();
            assertThat(directory.resolve("binlog.index")).exists();
            assertThat(directory.resolve("keep.000001.txt")).exists();
            assertThat(Files.isSymbolicLink(directory.resolve("binlog.000000"))).isTrue();
            assertThat(outside).exists();
            assertThat(archive().oldestSegment()).contains("binlog.000003");
        } finally {
            Files.deleteIfExists(outside);
        }
    }

    @Test
    void theNewestCommitIsTheLastXidOrCommitQuery() throws IOException {
        String output = String.join(
                "\n",
                "#261201  9:08:39 server id 1  end_log_pos 256 CRC32 0xa513f682 \tStart: binlog v 4",
                "#261201  9:08:39 server id 1  end_log_pos 540 CRC32 0x779a8a0a \tXid = 17",
                "COMMIT/*!*/;",
                "#261201  9:08:41 server id 1  end_log_pos 600 CRC32 0x1 \tQuery\tthread_id=8\texec_time=0",
                "SET TIMESTAMP=1796115121/*!*/;",
                "COMMIT/*!*/;",
                "#261201 10:00:00 server id 1  end_log_pos 700 CRC32 0x2 \tQuery\tthread_id=8\texec_time=0",
                "CREATE TABLE t (i INT)/*!*/;",
                "#261201 10:00:01 server id 1  end_log_pos 740 CRC32 0x3 \tGTID 0-1-9 trans");

        assertThat(MariaDbBinlogArchive.lastCommit(new BufferedReader(new StringReader(output))))
                .contains(Instant.parse("2026-12-01T09:08:41Z"));
        assertThat(MariaDbBinlogArchive.lastCommit(new BufferedReader(new StringReader("# at 4\n"))))
                .isEmpty();
    }

    @Test
    void lagIsTheRestOfTheArchivedFileAndEveryLaterOne() {
        SourceBinlogs source = SourceBinlogs.parse("binlog.000001\t1211\nbinlog.000002\t825\nbinlog.000003\t580\n");

        assertThat(source.bytesAfter("binlog.000002", 800)).isEqualTo(OptionalLong.of(25 + 580));
        assertThat(source.bytesAfter("binlog.000003", 580)).isEqualTo(OptionalLong.of(0));
        assertThat(source.bytesAfter("binlog.000009", 4)).isEmpty();
        assertThatThrownBy(() -> SourceBinlogs.parse("../../etc/passwd\t4\n")).isInstanceOf(ForkrunnerException.class);
    }

    @Test
    void theStreamStartsAtTheNewestArchivedFileOrTheSourcesOldest() throws IOException {
        MariaDbBinlogStream stream = new MariaDbBinlogStream(
                new ProcessRunner(MariaDbServer.serviceUser()),
                MariaDbBinaries.debian(),
                MariaDbServer.tcpLogin(3306, "archiver", new Secret("x")),
                MariaDbBinlogStream.serverId("shop"),
                directory,
                directory.resolveSibling("run"),
                directory.resolveSibling("stream.log"));
        SourceBinlogs source = SourceBinlogs.parse("binlog.000003\t1211\nbinlog.000004\t825\n");

        assertThat(stream.firstFile(MariaDbBinlogArchive.list(directory), source))
                .as("empty archive")
                .isEqualTo("binlog.000003");
        files("binlog.000003", "binlog.000004");
        assertThat(stream.firstFile(MariaDbBinlogArchive.list(directory), source))
                .as("the newest again, it may be partial")
                .isEqualTo("binlog.000004");
        files("binlog.000001");
        Files.delete(directory.resolve("binlog.000003"));
        Files.delete(directory.resolve("binlog.000004"));
        assertThat(stream.firstFile(MariaDbBinlogArchive.list(directory), source))
                .as("purged on the source: a gap, from its oldest")
                .isEqualTo("binlog.000003");
        files("binlog.000007");
        assertThatThrownBy(() -> stream.firstFile(MariaDbBinlogArchive.list(directory), source))
                .isInstanceOf(ForkrunnerException.class)
                .hasMessageContaining("RESET MASTER");
        assertThat(Files.exists(directory.resolve("binlog.000007"), LinkOption.NOFOLLOW_LINKS))
                .isTrue();
    }

    @Test
    void eachServiceStreamsUnderAServerIdOfItsOwn() {
        assertThat(MariaDbBinlogStream.serverId("shop"))
                .isEqualTo(MariaDbBinlogStream.serverId("shop"))
                .isNotEqualTo(MariaDbBinlogStream.serverId("billing"))
                .isBetween(1L << 31, (1L << 32) - 1);
    }
}
