package io.forkrunner.backup;

import java.time.Instant;
import java.util.List;

/**
 * A service's backups and how far back it can be forked.
 *
 * @param window the point-in-time window; null when the service has no verified backup and cannot be forked
 */
public record BackupReport(String service, String wal, List<StoredBackup> backups, Window window, ArchiveView archive) {

    /** From the oldest restorable moment to the newest archived transaction. */
    public record Window(Instant from, Instant to) {}

    /**
     * The WAL archive; null when the service has none.
     *
     * @param gaps segments missing after the oldest kept backup's start
     * @param archiver the streaming process as {@code serve} last reported it; null when none ever ran
     */
    public record ArchiveView(
            int segments,
            long sizeBytes,
            String oldestSegment,
            String newestSegment,
            Instant newestCommit,
            List<String> gaps,
            ArchiverStatus archiver) {}
}
