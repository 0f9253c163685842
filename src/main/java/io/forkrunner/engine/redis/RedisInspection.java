package io.forkrunner.engine.redis;

import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.Inspection;
import io.forkrunner.engine.MajorMinor;
import io.forkrunner.engine.TableCount;
import io.forkrunner.system.Command;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.Passfile;
import io.forkrunner.system.ProcessFailedException;
import io.forkrunner.system.ServiceUser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Looking into a running Redis server. Its databases are the numbered logical ones that hold keys ({@code 0}, {@code 3},
 * ...); verify counts each one's keys as one "table" {@code dbN.keys}. A job's check is a Redis command whose reply must
 * be a non-zero integer or {@code true}/{@code OK}; its test and {@code redis} integration files are commands run by
 * {@code redis-cli}, which stops at the first error.
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
        List<String> arguments = arguments(command);
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

    @Override
    public void runSql(Endpoint endpoint, String database, Path file, Path log) {
        if (endpoint.certificateAuthority() != null) {
            // redis-cli verifies the chain of a server's certificate but not the host it names
            throw new ForkrunnerException("forkrunner runs no file of Redis commands on " + endpoint
                    + ", which it reaches over TLS: redis-cli does not verify the host a server's certificate names");
        }
        List<String> argv = new ArrayList<>(engine.cli(endpoint));
        argv.addAll(List.of("-e", "-n", String.valueOf(number(database))));
        String commands;
        try {
            commands = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        try (Passfile input = endpoint.password() == null ? null : engine.passwordInput(endpoint, "\n" + commands)) {
            Command command = Command.of(argv)
                    .readingFrom(input == null ? file : input.path())
                    .loggingTo(log)
                    .withTimeout(Duration.ofHours(1));
            engine.runner().run(command);
            String output = ServiceUser.readIfExists(log);
            if (output.lines().anyMatch(line -> line.startsWith("(error)") || line.startsWith("ERR "))) {
                throw new ForkrunnerException(file.getFileName() + " failed on " + endpoint + ": see " + log);
            }
        } catch (ProcessFailedException e) {
            throw new ForkrunnerException(file.getFileName() + " failed on " + endpoint + ": " + e.getMessage());
        }
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

    /** The words of a command line: separated by spaces, a double-quoted word may hold spaces and \" escapes. */
    static List<String> arguments(String line) {
        List<String> words = new ArrayList<>();
        StringBuilder word = null;
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '\\' && i + 1 < line.length()) {
                    word.append(line.charAt(++i));
                } else if (c == '"') {
                    quoted = false;
                } else {
                    word.append(c);
                }
            } else if (c == '"') {
                word = word == null ? new StringBuilder() : word;
                quoted = true;
            } else if (Character.isWhitespace(c)) {
                if (word != null) {
                    words.add(word.toString());
                    word = null;
                }
            } else {
                word = word == null ? new StringBuilder() : word;
                word.append(c);
            }
        }
        if (quoted) {
            throw new ForkrunnerException("a quote is not closed in: " + line);
        }
        if (word != null) {
            words.add(word.toString());
        }
        return words;
    }
}
