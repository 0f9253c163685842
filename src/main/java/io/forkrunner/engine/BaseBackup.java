package io.forkrunner.engine;

import java.time.Instant;

/**
 * A base backup as taken and verified: when it started and ended, and where its log positions lie.
 *
 * @param startedAt the server's start time of the backup
 * @param endedAt when the backup was complete; the oldest moment a fork from it can be restored to
 * @param startPosition where replay from this backup begins (a PostgreSQL LSN such as {@code 0/2000028})
 * @param endPosition where the backup becomes consistent
 */
public record BaseBackup(
        Instant startedAt, Instant endedAt, int timeline, String startPosition, String endPosition, long sizeBytes) {}
