package io.forkrunner.definition;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as written in files: a whole number and a unit, {@code 30s 15m 24h 7d 2w}. */
public final class Durations {

    public static final List<String> EXAMPLES = List.of("30s", "15m", "24h", "7d");
    private static final Pattern FORM = Pattern.compile("([0-9]{1,9})(s|m|h|d|w)");

    private Durations() {}

    public static Optional<Duration> parse(String text) {
        Matcher matcher = FORM.matcher(text.strip());
        if (!matcher.matches()) {
            return Optional.empty();
        }
        long amount = Long.parseLong(matcher.group(1));
        Duration duration = switch (matcher.group(2)) {
            case "s" -> Duration.ofSeconds(amount);
            case "m" -> Duration.ofMinutes(amount);
            case "h" -> Duration.ofHours(amount);
            case "d" -> Duration.ofDays(amount);
            default -> Duration.ofDays(7 * amount);
        };
        return duration.isZero() ? Optional.empty() : Optional.of(duration);
    }

    /** The shortest form that {@link #parse} reads back: {@code 90m} stays {@code 90m}, {@code 86400s} is {@code 1d}. */
    public static String format(Duration duration) {
        long seconds = duration.getSeconds();
        if (seconds % 86_400 == 0) {
            return seconds / 86_400 + "d";
        }
        if (seconds % 3_600 == 0) {
            return seconds / 3_600 + "h";
        }
        if (seconds % 60 == 0) {
            return seconds / 60 + "m";
        }
        return seconds + "s";
    }
}
