package io.forkrunner.fork;

import java.time.Instant;

/** A fork that exists: a service forkrunner made from a backup of {@code source}. */
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
        Instant createdAt) {}
