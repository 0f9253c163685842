package io.forkrunner.backup;

import java.time.Instant;
import java.util.Objects;

/**
 * A stretch of a service's window that no fork can reach: its replication slot held more than
 * {@code backups.max-retained} and was dropped, losing the WAL between.
 *
 * @param from where the window ended when the slot was dropped: the newest archived commit, or the newest backup's
 *     end
 * @param fromPosition where the dropped slot's WAL began
 * @param to when the fresh base backup taken after it ended; null until that backup is verified
 * @param toPosition where that backup's WAL begins
 */
public record WalGap(
        long id, String service, Instant from, String fromPosition, Instant to, String toPosition, long retainedBytes) {

    public WalGap {
        Objects.requireNonNull(service, "service");
        Objects.requireNonNull(from, "from");
    }

    /** Whether {@code time} lies in the gap: from its start until its end, or on while it has none. */
    public boolean covers(Instant time) {
        return !time.isBefore(from) && (to == null || !time.isAfter(to));
    }

    /** As an operator reads it: both ends with their times and positions. */
    public String describe() {
        return "the WAL gap of " + service + " from " + from + " (" + orUnknown(fromPosition) + ") to "
                + (to == null
                        ? "the end of the fresh base backup still being taken"
                        : to + " (" + orUnknown(toPosition) + ")");
    }

    private static String orUnknown(String position) {
        return position == null ? "position unknown" : "WAL " + position;
    }
}
