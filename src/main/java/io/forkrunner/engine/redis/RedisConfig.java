package io.forkrunner.engine.redis;

import io.forkrunner.system.DirectoryTree;
import io.forkrunner.system.ServiceUser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.regex.Pattern;

/** Redis configuration files as forkrunner writes them: one directive a line, every value double-quoted. */
final class RedisConfig {

    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]*");
    /** Where Redis keeps its append-only files, under its working directory, with their default names. */
    static final String APPEND_ONLY_DIRECTORY = "appendonlydir";

    private static final String APPEND_ONLY_FILE = "appendonly.aof";

    private RedisConfig() {}

    /** {@code name "value"} and a line break; refused for a name that is not a directive's. */
    static String directive(String name, String value) {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("not a Redis directive: " + name);
        }
        return name + " " + quote(value) + "\n";
    }

    /** A value as Redis reads a double-quoted argument: backslash escapes, bytes outside printable ASCII as \xHH. */
    static String quote(String value) {
        StringBuilder quoted = new StringBuilder("\"");
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c == '"' || c == '\\') {
                quoted.append('\\').append((char) c);
            } else if (c < 0x20 || c > 0x7e) {
                quoted.append(String.format("\\x%02x", c));
            } else {
                quoted.append((char) c);
            }
        }
        return quoted.append('"').toString();
    }

    /** The value {@link #quote} wrote. */
    static String unquote(String quoted) {
        if (quoted.length() < 2 || !quoted.startsWith("\"") || !quoted.endsWith("\"")) {
            return quoted;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int i = 1; i < quoted.length() - 1; i++) {
            char c = quoted.charAt(i);
            if (c == '\\' && i + 1 < quoted.length() - 1) {
                char next = quoted.charAt(++i);
                if (next == 'x' && i + 2 < quoted.length() - 1) {
                    bytes.write(Integer.parseInt(quoted.substring(i + 1, i + 3), 16));
                    i += 2;
                } else {
                    bytes.write(next);
                }
            } else {
                bytes.write(c);
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /**
     * Makes an append-only directory from {@code dump.rdb} in {@code data} when there is none: the snapshot as its base
     * and an empty increment, named in a manifest, the layout Redis 7 makes itself. A server started with
     * {@code appendonly yes} and no such directory starts empty and ignores the snapshot.
     */
    static void seedAppendOnlyFile(ServiceUser user, Path data) {
        Path directory = data.resolve(APPEND_ONLY_DIRECTORY);
        Path rdb = data.resolve(RedisServer.RDB);
        if (Files.exists(directory, LinkOption.NOFOLLOW_LINKS)
                || !Files.isRegularFile(rdb, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Path making = data.resolve(APPEND_ONLY_DIRECTORY + ".forkrunner-new");
        try {
            if (Files.exists(making, LinkOption.NOFOLLOW_LINKS)) {
                DirectoryTree.deleteUnder(data, making);
            }
            user.privateDirectory(making);
            String base = APPEND_ONLY_FILE + ".1.base.rdb";
            String increment = APPEND_ONLY_FILE + ".1.incr.aof";
            Files.copy(rdb, making.resolve(base), LinkOption.NOFOLLOW_LINKS, StandardCopyOption.COPY_ATTRIBUTES);
            user.own(making.resolve(base));
            user.write(making.resolve(increment), "");
            user.write(
                    making.resolve(APPEND_ONLY_FILE + ".manifest"),
                    "file " + base + " seq 1 type b\nfile " + increment + " seq 1 type i\n");
            Files.move(making, directory, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make the append-only file of " + data + " from its snapshot", e);
        }
    }
}
