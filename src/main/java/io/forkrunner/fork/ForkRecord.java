package io.forkrunner.fork;

import java.time.Instant;

/**
 * A fork that exists: a service forkrunner made from a backup of {@code source}, or a new database it made in the
 * existing service {@code server}.
 *
 * @param server the service holding the fork's database; null for a fork with an instance of its own
 * @param database the fork's database in {@code server}; null without one
 */
public record ForkRecord(
        String name,
        String job,
        long runId,
        String source,
        String region,
        String engine,
        int version,
        Instant pointInTime,
        String backupId,
        String host,
        int port,
        Integer poolPort,
        Instant createdAt,
        String server,
        String database) {}
