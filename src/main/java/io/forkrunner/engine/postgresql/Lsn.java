package io.forkrunner.engine.postgresql;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A PostgreSQL write-ahead log position, written {@code HI/LO} in hex. */
record Lsn(long value) implements Comparable<Lsn> {

    private static final Pattern FORM = Pattern.compile("([0-9A-Fa-f]{1,8})/([0-9A-Fa-f]{1,8})");

    static Lsn parse(String text) {
        Matcher matcher = FORM.matcher(text.strip());
        if (!matcher.matches()) {
            throw new IllegalArgumentException("not a WAL position: " + text);
        }
        return new Lsn((Long.parseLong(matcher.group(1), 16) << 32) | Long.parseLong(matcher.group(2), 16));
    }

    /** The number of the WAL segment that holds this position. */
    long segment(long segmentSize) {
        return Long.divideUnsigned(value, segmentSize);
    }

    @Override
    public int compareTo(Lsn other) {
        return Long.compareUnsigned(value, other.value);
    }

    @Override
    public String toString() {
        return String.format("%X/%X", value >>> 32, value & 0xFFFFFFFFL);
    }
}
