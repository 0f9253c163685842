package io.forkrunner.engine.redis;

import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.Inspection;
import io.forkrunner.engine.MajorMinor;
import io.forkrunner.engine.TableCount;
import io.forkrunner.system.ForkrunnerException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Looking into a running Redis server. Its databases are the numbered logical ones that hold keys ({@code 0}, {@code 3},
 * ...); verify counts each one's keys as one "table" {@code dbN.keys}. A job's check is a Redis command whose reply must
 * be a non-zero integer or {@code true}/{@code OK}; its test and {@code redis} integration files are commands, a line
 * each, which forkrunner's own client sends until the first error.
 */
final class RedisInspection implements Inspection {

    private static final Pattern KEYSPACE = Pattern.compile("(?m)^db(\\d+):keys=(\\d+)");

    private final RedisEngine engine;

    RedisInspection(RedisEngine engine) {
        this.engine = engine;
    }

    @Override
    public int majorVersion(Endpoint endpoint) {
        try (RedisConnection connection = RedisConnection.open(endpoint)) {
            return MajorMinor.number(
                    version(connection, engine.family()), engine.family().title());
        }
    }

    /** The server's version, e.g. {@code 7.0.15}. */
    static String version(RedisConnection connection, RedisFamily family) {
        String version = RedisEngine.info(connection.text("INFO", "server"), family.versionField());
        if (version == null) {
            throw new ForkrunnerException(
                    "INFO server names no " + family.versionField() + ": not a " + family.title() + " server");
        }
        return version;
    }

    /** The numbers of the databases that hold keys, in order. */
    static List<Integer> databaseNumbers(RedisConnection connection) {
        List<Integer> numbers = new ArrayList<>();
        Matcher matcher = KEYSPACE.matcher(connection.text("INFO", "keyspace"));
        while (matcher.find()) {
            numbers.add(Integer.parseInt(matcher.group(1)));
        }
        numbers.sort(null);
        return numbers;
    }

    @Override
    public List<String> databases(Endpoint endpoint) {
        try (RedisConnection connection = RedisConnection.open(endpoint)) {
            return databaseNumbers(connection).stream().map(String::valueOf).toList();
        }
    }

    @Override
    public List<TableCount> tableCounts(Endpoint endpoint) {
        try (RedisConnection connection = RedisConnection.open(endpoint)) {
            return counts(connection, databaseNumbers(connection));
        }
    }

    @Override
    public List<TableCount> tableCounts(Endpoint endpoint, String database) {
        try (RedisConnection connection = RedisConnection.open(endpoint)) {
            return counts(connection, List.of(number(database)));
        }
    }

    private static List<TableCount> counts(RedisConnection connection, List<Integer> databases) {
        List<TableCount> counts = new ArrayList<>();
        for (int database : databases) {
            connection.call("SELECT", database);
            long keys = (Long) connection.call("DBSIZE");
            counts.add(new TableCount("db" + database, "", "keys", keys, false));
        }
        return counts;
    }

    @Override
    public Map<String, String> extensions(Endpoint endpoint) {
        return Map.of();
    }

    @Override
    public String defaultDatabase() {
        return "0";
    }

    @Override
    public boolean check(Endpoint endpoint, String database, String command) {
        List<byte[]> arguments = RedisCommandLine.words(command);
        if (arguments.isEmpty()) {
            throw new ForkrunnerException("a check names no Redis command");
        }
        try (RedisConnection connection = RedisConnection.open(endpoint)) {
            connection.call("SELECT", number(database));
            Object reply = connection.call(arguments.toArray());
            if (reply instanceof Long number) {
                return number != 0;
            }
            String text = RedisConnection.asText(reply);
            return text != null && (text.equalsIgnoreCase("true") || text.equals("OK"));
        }
    }

    /**
     * Runs a file of Redis commands on database {@code database}, a line each ({@link RedisCommandLine}), through
     * forkrunner's own client (so over TLS the host the certificate names is verified): blank lines and lines beginning
     * with {@code #} are passed over, and the first error reply stops the file, naming its line. Each reply goes to
     * {@code log} after its line number; the commands do not, since they may hold secrets.
     */
    @Override
    public void runSql(Endpoint endpoint, String database, Path file, Path log) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        StringBuilder done = new StringBuilder();
        try (RedisConnection connection = RedisConnection.open(endpoint)) {
            connection.call("SELECT", number(database));
            for (int n = 1; n <= lines.size(); n++) {
                String line = lines.get(n - 1).strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                String at = file.getFileName() + ":" + n;
                List<byte[]> words;
                try {
                    words = RedisCommandLine.words(line);
                } catch (ForkrunnerException e) {
                    throw new ForkrunnerException(at + ": " + e.getMessage());
                }
                Object reply;
                try {
                    reply = connection.call(words.toArray());
                } catch (RedisConnection.RedisError e) {
                    done.append(n).append(": (error) ").append(e.reply()).append('\n');
                    throw new ForkrunnerException(at + ": " + RedisConnection.asText(words.get(0)) + " failed on "
                            + endpoint + ": " + e.reply());
                }
                done.append(n).append(": ").append(shown(reply)).append('\n');
            }
        } finally {
            Inspection.writeLog(log, done.toString());
        }
    }

    /** A reply as the log shows it, as redis-cli would: {@code (nil)}, {@code (integer) 1}, a quoted string, .... */
    private static String shown(Object reply) {
        if (reply == null) {
            return "(nil)";
        }
        if (reply instanceof Long number) {
            return "(integer) " + number;
        }
        if (reply instanceof byte[] bytes) {
            String text = RedisConnection.asText(bytes);
            return "\"" + (text.length() > 200 ? text.substring(0, 200) + "..." : text) + "\"";
        }
        if (reply instanceof RedisConnection.RedisError error) {
            return "(error) " + error.reply();
        }
        if (reply instanceof List<?> items) {
            List<String> shown = new ArrayList<>();
            for (Object item : items.subList(0, Math.min(items.size(), 20))) {
                shown.add(shown(item));
            }
            return "[" + String.join(", ", shown) + (items.size() > 20 ? ", ... " + items.size() + " in all" : "")
                    + "]";
        }
        return String.valueOf(reply);
    }

    /** A database number 0-15... as Redis names them; refused otherwise. */
    static int number(String database) {
        if (database == null) {
            return 0;
        }
        String digits = database.startsWith("db") ? database.substring(2) : database;
        if (!digits.matches("[0-9]{1,5}")) {
            throw new ForkrunnerException("not a Redis database number: " + database);
        }
        return Integer.parseInt(digits);
    }
}
