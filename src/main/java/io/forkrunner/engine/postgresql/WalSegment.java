package io.forkrunner.engine.postgresql;

import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One file of the WAL archive: {@code TTTTTTTTXXXXXXXXYYYYYYYY}, or with {@code .partial} while pg_receivewal still
 * writes it.
 */
record WalSegment(int timeline, long number, boolean partial, Path path) {

    private static final Pattern NAME = Pattern.compile("([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})(\\.partial)?");

    static Optional<WalSegment> of(Path path, long segmentSize) {
        Matcher matcher = NAME.matcher(path.getFileName().toString());
        if (!matcher.matches()) {
            return Optional.empty();
        }
        long perLogFile = 0x1_0000_0000L / segmentSize;
        long number = Long.parseLong(matcher.group(2), 16) * perLogFile + Long.parseLong(matcher.group(3), 16);
        return Optional.of(
                new WalSegment(Integer.parseInt(matcher.group(1), 16), number, matcher.group(4) != null, path));
    }

    /** The segment's full name, without {@code .partial}: the name recovery asks for. */
    static String name(int timeline, long number, long segmentSize) {
        long perLogFile = 0x1_0000_0000L / segmentSize;
        return String.format("%08X%08X%08X", timeline, number / perLogFile, number % perLogFile);
    }

    String name(long segmentSize) {
        return name(timeline, number, segmentSize);
    }
}
