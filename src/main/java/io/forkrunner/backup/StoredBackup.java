package io.forkrunner.backup;

import java.nio.file.Path;
import java.time.Instant;

/** A base backup in a service's backup store, as the catalog records it. */
public record StoredBackup(
        String service,
        String id,
        State state,
        Path directory,
        Instant startedAt,
        Instant endedAt,
        Integer timeline,
        String startPosition,
        String endPosition,
        Long sizeBytes,
        boolean verified,
        String error) {

    public enum State {
        RUNNING,
        VERIFIED,
        FAILED
    }
}
