package io.forkrunner.backup;

import java.time.Instant;

/** What a WAL archiver last reported: its process, how often it was restarted, and how far it lags the source. */
public record ArchiverStatus(
        String service,
        String node,
        Long pid,
        String state,
        Instant startedAt,
        int restarts,
        String lastError,
        Long lagBytes,
        Instant updatedAt) {}
