package io.forkrunner.definition;

import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The ports a region may give its instances, both ends included. */
public record PortRange(int first, int last) {

    public static final List<String> EXAMPLES = List.of("16000-16099", "17000-17009");
    private static final Pattern FORM = Pattern.compile("([0-9]{1,5})\\s*-\\s*([0-9]{1,5})");

    public PortRange {
        if (first < 1024 || last > 65535 || first > last) {
            throw new IllegalArgumentException("ports " + first + "-" + last + " are not a range within 1024-65535");
        }
    }

    /** The range written as {@code FIRST-LAST} with {@code 1024 <= FIRST <= LAST <= 65535}. */
    public static Optional<PortRange> parse(String text) {
        Matcher matcher = FORM.matcher(text.strip());
        if (!matcher.matches()) {
            return Optional.empty();
        }
        int first = Integer.parseInt(matcher.group(1));
        int last = Integer.parseInt(matcher.group(2));
        return first >= 1024 && last <= 65535 && first <= last
                ? Optional.of(new PortRange(first, last))
                : Optional.empty();
    }

    public boolean overlaps(PortRange other) {
        return first <= other.last && other.first <= last;
    }

    public boolean contains(int port) {
        return port >= first && port <= last;
    }

    @Override
    public String toString() {
        return first + "-" + last;
    }
}
