package io.forkrunner.engine;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;

/** Restoring a base backup's files as a new instance, then replaying the change archive over them to a time. */
public interface PhysicalRestore {

    /**
     * Lays a base backup down as the data of the instance at {@code place}. Resumable: what was laid down whole is
     * kept, and once {@link #recover} has begun nothing is laid down again. {@code bytesPerSecond} limits the rate; 0
     * for no limit. Returns how it was laid down ("cloned (copy-on-write)", "copied"), or null when recovery had begun
     * and nothing was laid down.
     */
    String layDown(Path backup, Place place, long bytesPerSecond, Progress progress);

    /**
     * As {@link #layDown(Path, Place, long, Progress)}, for a fork of {@code nodes} nodes (null: as many as the backup's
     * source had), which only an engine whose services are clusters of several nodes takes into account.
     */
    default String layDown(Path backup, Place place, Integer nodes, long bytesPerSecond, Progress progress) {
        return layDown(backup, place, bytesPerSecond, progress);
    }

    /**
     * Replays the archive over the laid-down backup to {@code target}, starts the fork on a timeline of its own, and
     * makes the subscriptions it carried harmless before anyone else connects. Resumable.
     *
     * @param archive the archive to replay from; null to restore to the end of the backup alone
     * @param backupStart the position where the backup's replay begins
     * @param admin how forkrunner logs in to the fork: the source's login, which the fork carries; one without a
     *     password is given the fork's {@link GeneratedLogin} password before the fork lets anyone connect, and no
     *     login to the fork goes without a password
     */
    Restored recover(Place place, Path archive, String backupStart, Instant target, Endpoint admin, Progress progress);

    /**
     * Reads the restored instance at {@code place} as {@code admin} (the source's login) before anything else writes to
     * it, and compares it with what its backup in {@code backup} recorded: a summary for the run's report, or empty
     * where the engine records nothing to compare with. Throws naming what differs.
     */
    default Optional<String> compareWithBackup(Path backup, Place place, Endpoint admin) {
        return Optional.empty();
    }
}
