package io.forkrunner.engine;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** A service's continuous change archive (for PostgreSQL: WAL segments) as it lies on disk. */
public interface Archive {

    /** How many segments it holds, complete and partial. */
    int segmentCount();

    long sizeBytes();

    /** Name of the oldest and newest segment; empty when the archive is empty. */
    Optional<String> oldestSegment();

    Optional<String> newestSegment();

    /** Whether the archive holds every segment from the one with {@code position} to its newest one. */
    boolean continuousFrom(String position);

    /** Segments missing between the one with {@code position} and the newest one. */
    List<String> gapsFrom(String position);

    /** Commit time of the newest transaction in the archive. */
    Optional<Instant> newestCommit();

    /** Removes the segments older than the one with {@code position}; returns how many. */
    int pruneBefore(String position);
}
