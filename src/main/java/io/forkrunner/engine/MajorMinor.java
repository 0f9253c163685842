package io.forkrunner.engine;

import io.forkrunner.system.ForkrunnerException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A version kept as one number, its major times 100 plus its minor ({@code 1011} for MariaDB 10.11, {@code 700} for
 * Redis 7.0, {@code 219} for OpenSearch 2.19): how the engines whose versions have two parts that matter keep them.
 */
public final class MajorMinor {

    private static final Pattern VERSION = Pattern.compile("^(\\d+)\\.(\\d+)");

    private MajorMinor() {}

    /** A version such as {@code 10.11.19-MariaDB-log} as one number; refused, naming {@code title}, when it is none. */
    public static int number(String version, String title) {
        Matcher matcher = VERSION.matcher(version.strip());
        if (!matcher.find()) {
            throw new ForkrunnerException("not a " + title + " version: " + version);
        }
        return Integer.parseInt(matcher.group(1)) * 100 + Integer.parseInt(matcher.group(2));
    }

    /** The number as people write it: {@code 10.11}. */
    public static String text(int version) {
        return version / 100 + "." + version % 100;
    }
}
