package io.forkrunner.engine.redis;

import io.forkrunner.system.ForkrunnerException;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a Redis dataset holds, as forkrunner compares a fork with its backup: for each logical database, its keys
 * without an expiry counted and folded into one digest, and each key with an expiry on its own with its absolute expiry
 * time. A key stands for the SHA-256 of its database, name and {@code DEBUG DIGEST-VALUE} (which reads the value the
 * same way whatever its encoding). Keys with an expiry are kept apart because some of them may expire between the
 * backup and the fork: a fork must hold each of them that has not expired yet, with the same expiry, and no other.
 */
final class KeyDigest {

    /** The keys scanned per round trip. */
    private static final int SCAN_COUNT = 1000;

    /** One database: its keys without an expiry, how many and the XOR of their digests; how many with one. */
    record Database(long keys, String digest, long volatileKeys) {}

    private static final String NONE = HexFormat.of().formatHex(new byte[32]);

    /** The keys without an expiry per database number, and the keys with one: digest to expiry in milliseconds. */
    private final TreeMap<Integer, Database> databases;

    private final Map<String, Long> volatileKeys;

    private KeyDigest(TreeMap<Integer, Database> databases, Map<String, Long> volatileKeys) {
        this.databases = databases;
        this.volatileKeys = volatileKeys;
    }

    /**
     * Reads every key of every database of the server on {@code connection}, which runs with debug commands on; leaves
     * it in database 0.
     */
    static KeyDigest of(RedisConnection connection) {
        TreeMap<Integer, byte[]> folded = new TreeMap<>();
        TreeMap<Integer, Long> counts = new TreeMap<>();
        TreeMap<Integer, Long> volatileCounts = new TreeMap<>();
        Map<String, Long> volatileKeys = new HashMap<>();
        MessageDigest sha = sha256();
        for (int database : RedisInspection.databaseNumbers(connection)) {
            connection.call("SELECT", database);
            byte[] xor = new byte[32];
            long keys = 0;
            long withExpiry = 0;
            String cursor = "0";
            do {
                List<?> page = (List<?>) connection.call("SCAN", cursor, "COUNT", SCAN_COUNT);
                cursor = RedisConnection.asText(page.get(0));
                List<?> names = (List<?>) page.get(1);
                if (names.isEmpty()) {
                    continue;
                }
                List<Object[]> commands = new ArrayList<>(names.size() + 1);
                Object[] digestValues = new Object[names.size() + 2];
                digestValues[0] = "DEBUG";
                digestValues[1] = "DIGEST-VALUE";
                for (int i = 0; i < names.size(); i++) {
                    digestValues[i + 2] = names.get(i);
                }
                commands.add(digestValues);
                for (Object name : names) {
                    commands.add(new Object[] {"PEXPIRETIME", name});
                }
                List<Object> replies = connection.pipeline(commands);
                List<?> values = (List<?>) replies.get(0);
                for (int i = 0; i < names.size(); i++) {
                    byte[] name = (byte[]) names.get(i);
                    byte[] value = valueDigest(values.get(i));
                    long expiry = (Long) replies.get(i + 1);
                    if (expiry == -2) {
                        continue; // expired or deleted between SCAN and its digest
                    }
                    byte[] key = hash(sha, database, name, value);
                    if (expiry == -1) {
                        for (int b = 0; b < xor.length; b++) {
                            xor[b] ^= key[b];
                        }
                        keys++;
                    } else {
                        volatileKeys.put(HexFormat.of().formatHex(key), expiry);
                        withExpiry++;
                    }
                }
            } while (!cursor.equals("0"));
            folded.put(database, xor);
            counts.put(database, keys);
            volatileCounts.put(database, withExpiry);
        }
        connection.call("SELECT", 0);
        TreeMap<Integer, Database> databases = new TreeMap<>();
        folded.forEach((database, xor) -> databases.put(
                database,
                new Database(counts.get(database), HexFormat.of().formatHex(xor), volatileCounts.get(database))));
        return new KeyDigest(databases, volatileKeys);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] valueDigest(Object value) {
        if (value instanceof byte[] bytes) {
            return bytes;
        }
        if (value instanceof String text) {
            return text.getBytes(StandardCharsets.US_ASCII);
        }
        throw new ForkrunnerException("DEBUG DIGEST-VALUE answered " + value);
    }

    private static byte[] hash(MessageDigest sha, int database, byte[] name, byte[] value) {
        sha.update(String.valueOf(database).getBytes(StandardCharsets.US_ASCII));
        sha.update((byte) 0);
        sha.update(String.valueOf(name.length).getBytes(StandardCharsets.US_ASCII));
        sha.update((byte) 0);
        sha.update(name);
        sha.update(value);
        return sha.digest();
    }

    /** Every key, per database number. */
    Map<Integer, Long> keysPerDatabase() {
        Map<Integer, Long> keys = new TreeMap<>();
        databases.forEach((database, digest) -> keys.put(database, digest.keys() + digest.volatileKeys()));
        return keys;
    }

    int volatileKeys() {
        return volatileKeys.size();
    }

    long keys() {
        return databases.values().stream().mapToLong(Database::keys).sum() + volatileKeys.size();
    }

    /**
     * How {@code fork}, read once it was up, differs from this digest of its backup: a key without an expiry missing,
     * extra or with another value; a key with an expiry present with another value or expiry, present though the
     * backup lacks it, or missing though it had not expired by {@code readBy}, when the fork's reading ended.
     */
    List<String> differences(KeyDigest fork, Instant readBy) {
        List<String> differences = new ArrayList<>();
        TreeMap<Integer, Database> all = new TreeMap<>(databases);
        fork.databases.forEach(all::putIfAbsent);
        for (int database : all.keySet()) {
            Database expected = databases.getOrDefault(database, new Database(0, NONE, 0));
            Database found = fork.databases.getOrDefault(database, new Database(0, NONE, 0));
            if (expected.keys() != found.keys() || !expected.digest().equals(found.digest())) {
                differences.add("database " + database + ": the backup has " + expected.keys()
                        + " keys without an expiry, the fork " + found.keys()
                        + (expected.keys() == found.keys() ? " with other names or values" : ""));
            }
        }
        long otherExpiry = 0;
        long extra = 0;
        for (Map.Entry<String, Long> key : fork.volatileKeys.entrySet()) {
            Long expiry = volatileKeys.get(key.getKey());
            if (expiry == null) {
                extra++;
            } else if (!expiry.equals(key.getValue())) {
                otherExpiry++;
            }
        }
        long missing = volatileKeys.entrySet().stream()
                .filter(key -> key.getValue() > readBy.toEpochMilli())
                .filter(key -> !fork.volatileKeys.containsKey(key.getKey()))
                .count();
        if (extra > 0) {
            differences.add(extra + " keys with an expiry are on the fork with a name or value the backup lacks");
        }
        if (otherExpiry > 0) {
            differences.add(otherExpiry + " keys have another expiry time on the fork than in the backup");
        }
        if (missing > 0) {
            differences.add(missing + " keys with an expiry after " + readBy + " are missing on the fork");
        }
        return differences;
    }

    /** How many of the backup's keys with an expiry had expired by {@code time}. */
    long expiredBy(Instant time) {
        return volatileKeys.values().stream()
                .filter(expiry -> expiry <= time.toEpochMilli())
                .count();
    }

    /**
     * Writes this digest to {@code file}: a line {@code db NUMBER KEYS DIGEST VOLATILE} per database, then a line
     * {@code volatile DIGEST EXPIRY} per key with an expiry, sorted.
     */
    void write(Path file) {
        try (BufferedWriter writer = Files.newBufferedWriter(file, StandardCharsets.US_ASCII)) {
            for (Map.Entry<Integer, Database> database : databases.entrySet()) {
                Database each = database.getValue();
                writer.write("db " + database.getKey() + " " + each.keys() + " " + each.digest() + " "
                        + each.volatileKeys() + "\n");
            }
            for (Map.Entry<String, Long> key : new TreeMap<>(volatileKeys).entrySet()) {
                writer.write("volatile " + key.getKey() + " " + key.getValue() + "\n");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the key digest " + file, e);
        }
    }

    static KeyDigest read(Path file) {
        TreeMap<Integer, Database> databases = new TreeMap<>();
        Map<String, Long> volatileKeys = new HashMap<>();
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.US_ASCII)) {
            String line;
            while ((line = reader.readLine()) != null) {
                String[] fields = line.split(" ");
                if (fields.length == 5 && fields[0].equals("db")) {
                    databases.put(
                            Integer.parseInt(fields[1]),
                            new Database(Long.parseLong(fields[2]), fields[3], Long.parseLong(fields[4])));
                } else if (fields.length == 3 && fields[0].equals("volatile")) {
                    volatileKeys.put(fields[1], Long.parseLong(fields[2]));
                } else {
                    throw new ForkrunnerException("the key digest " + file + " has a line it cannot read: " + line);
                }
            }
        } catch (IOException | NumberFormatException e) {
            throw new ForkrunnerException("cannot read the key digest " + file + ": " + e.getMessage(), e);
        }
        return new KeyDigest(databases, volatileKeys);
    }
}
