package io.forkrunner.backup;

import org.springframework.context.annotation.Import;

/**
 * The backup keeper and the records its {@link BackupKeeper#report report} reads, for a context that only reads: nothing
 * here archives WAL, keeps slots or takes backups unless called to.
 */
@Import({BackupKeeper.class, BackupCatalog.class, ArchiverRecords.class, SlotRecords.class})
public final class BackupReading {}
