package io.forkrunner.backup;

import java.time.Instant;
import java.util.List;

/**
 * A service's backups, its replication slot, the gaps in its window and how far back it can be forked.
 *
 * @param window the point-in-time window; null when the service has no verified backup and cannot be forked
 */
public record BackupReport(
        String service,
        String wal,
        List<StoredBackup> backups,
        Window window,
        ArchiveView archive,
        SlotView slot,
        List<WalGap> gaps) {

    /**
     * The service's replication slot on its source, read when the report was made; null when the service does not
     * stream.
     *
     * @param exists whether the source has it
     * @param retainedBytes WAL the slot makes the source keep; null when it does not exist or could not be read
     * @param maxRetainedBytes {@code backups.max-retained}: past it the slot is dropped and the window has a gap
     * @param error why the slot could not be read; null when it was
     */
    public record SlotView(
            String name,
            boolean exists,
            boolean active,
            String restartPosition,
            Long retainedBytes,
            long maxRetainedBytes,
            String error) {}

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
