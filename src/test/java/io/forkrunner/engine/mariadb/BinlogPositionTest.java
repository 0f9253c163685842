package io.forkrunner.engine.mariadb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.forkrunner.system.ForkrunnerException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class BinlogPositionTest {

    private static final Path ARCHIVE = Path.of("/archive");

    @Test
    void readsTheLineMariaDbBackupWrites() {
        assertThat(BinlogPosition.parse("binlog.000001\t883\t0-1-3\n", "xtrabackup_binlog_info"))
                .isEqualTo(new BinlogPosition("binlog.000001", 883, "0-1-3"));
        assertThat(BinlogPosition.parse("binlog.000002\t4\n", "x").gtid()).isEmpty();
    }

    @Test
    void refusesANameThatCouldBecomeAPathOrAnOption() {
        assertThatThrownBy(() -> new BinlogPosition("../etc/passwd.000001", 4, ""))
                .isInstanceOf(ForkrunnerException.class);
        assertThatThrownBy(() -> new BinlogPosition("-binlog.000001", 4, "")).isInstanceOf(ForkrunnerException.class);
        assertThatThrownBy(() -> BinlogPosition.parse("binlog.000001\t883\t0-1-3; DROP\n", "x"))
                .isInstanceOf(ForkrunnerException.class);
    }

    @Test
    void replaysFromTheBackupsFileOnInSequenceOrder() {
        BinlogPosition position = new BinlogPosition("binlog.999999", 883, "0-1-3");
        List<Path> archived = List.of(
                ARCHIVE.resolve("binlog.1000000"), ARCHIVE.resolve("binlog.999998"), ARCHIVE.resolve("binlog.999999"));

        assertThat(position.from(archived))
                .containsExactly(ARCHIVE.resolve("binlog.999999"), ARCHIVE.resolve("binlog.1000000"));
    }

    @Test
    void anArchiveWithoutTheBackupsFileIsRefused() {
        BinlogPosition position = new BinlogPosition("binlog.000003", 883, "");

        assertThatThrownBy(() -> position.from(List.of(ARCHIVE.resolve("binlog.000004"))))
                .isInstanceOf(ForkrunnerException.class)
                .hasMessageContaining("lacks binlog.000003");
    }

    @Test
    void theReplayStopsAtTheSecondAfterTheStopTimesOwnInUtc() {
        BinlogReplay.Range range = new BinlogReplay.Range(
                List.of(ARCHIVE.resolve("binlog.000001")), "883", Instant.parse("2026-12-01T08:44:41.900Z"));

        assertThat(range.stopDatetime()).isEqualTo("2026-12-01 08:44:42");
    }
}
