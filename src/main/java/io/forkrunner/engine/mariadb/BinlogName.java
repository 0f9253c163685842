package io.forkrunner.engine.mariadb;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A binary log's file name split into its base name and sequence number ({@code binlog.000042}: {@code binlog}, 42,
 * six digits). A binlog name is a base name and a sequence number of six digits or more: no directory, no leading dash.
 */
record BinlogName(String base, long sequence, int digits) {

    private static final Pattern NAME = Pattern.compile("([A-Za-z0-9_][A-Za-z0-9_.-]*)\\.([0-9]{6,18})");

    /** The name split, or empty when {@code name} is not a binlog name. */
    static Optional<BinlogName> of(String name) {
        Matcher matcher = NAME.matcher(name);
        if (!matcher.matches()) {
            return Optional.empty();
        }
        return Optional.of(new BinlogName(
                matcher.group(1),
                Long.parseLong(matcher.group(2)),
                matcher.group(2).length()));
    }

    /** The binlog with sequence number {@code number} beside this one, with at least as many digits. */
    BinlogName withSequence(long number) {
        return new BinlogName(base, number, digits);
    }

    /** The file name: base, dot, sequence number zero-padded to its digits. */
    String file() {
        return base + "." + String.format("%0" + digits + "d", sequence);
    }

    @Override
    public String toString() {
        return file();
    }
}
