package io.forkrunner.engine;

import java.util.Objects;

/**
 * A replication slot on a source as the source reports it.
 *
 * @param restartPosition the oldest change the slot makes the source keep; null when it keeps none yet
 * @param retainedBytes how much WAL the slot makes the source keep, from its restart position to the current one
 */
public record ReplicationSlot(String name, boolean active, String restartPosition, long retainedBytes) {

    public ReplicationSlot {
        Objects.requireNonNull(name, "name");
        if (retainedBytes < 0) {
            throw new IllegalArgumentException("retained bytes cannot be negative");
        }
    }
}
