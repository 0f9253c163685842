package io.forkrunner.definition;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;

/** Where a fork is restored to: the latest transaction, a moment, or a duration before the run starts. */
public sealed interface PointInTime {

    List<String> EXAMPLES = List.of("latest", "2026-11-25T23:00:00Z", "2026-11-26T01:00:00+02:00", "-2h");

    /** The moment this point names, for a run that starts at {@code now}; empty for the latest transaction. */
    Optional<Instant> resolve(Instant now);

    record Latest() implements PointInTime {
        @Override
        public Optional<Instant> resolve(Instant now) {
            return Optional.empty();
        }

        @Override
        public String toString() {
            return "latest";
        }
    }

    record At(Instant instant) implements PointInTime {
        @Override
        public Optional<Instant> resolve(Instant now) {
            return Optional.of(instant);
        }

        @Override
        public String toString() {
            return instant.toString();
        }
    }

    record Before(Duration duration) implements PointInTime {
        @Override
        public Optional<Instant> resolve(Instant now) {
            return Optional.of(now.minus(duration));
        }

        @Override
        public String toString() {
            return "-" + Durations.format(duration);
        }
    }

    /** {@code latest}, an ISO-8601 time with an offset, or {@code -DURATION}. */
    static Optional<PointInTime> parse(String text) {
        String trimmed = text.strip();
        if (trimmed.equals("latest")) {
            return Optional.of(new Latest());
        }
        if (trimmed.startsWith("-")) {
            return Durations.parse(trimmed.substring(1)).map(Before::new);
        }
        try {
            return Optional.of(new At(OffsetDateTime.parse(trimmed).toInstant()));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }
}
