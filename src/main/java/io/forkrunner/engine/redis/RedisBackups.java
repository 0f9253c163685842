package io.forkrunner.engine.redis;

import io.forkrunner.definition.ServiceDefinition;
import io.forkrunner.engine.Backups;
import io.forkrunner.engine.BaseBackup;
import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.MajorMinor;
import io.forkrunner.system.Command;
import io.forkrunner.system.DirectoryTree;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.Passfile;
import io.forkrunner.system.ProcessFailedException;
import io.forkrunner.system.ServiceUser;
import io.forkrunner.system.Sha256;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Backups of a Redis service: an RDB snapshot fetched over the replication protocol ({@code redis-cli --rdb}: the source
 * streams it without writing it to its disk when {@code repl-diskless-sync} is on, Redis 7's default), the source's ACL
 * users ({@code ACL LIST}) as an ACL file beside it, and the digest of its keys, read by loading the snapshot in a
 * server of forkrunner's own (which is also the proof that it loads). {@value #MANIFEST} names the Redis version and the
 * SHA-256 of each file; a backup is verified by those and by {@code redis-check-rdb}. The source's login needs the
 * {@code SYNC}, {@code ACL LIST}, {@code CONFIG GET} and {@code INFO} commands.
 */
final class RedisBackups implements Backups {

    static final String MANIFEST = "backup.manifest";
    static final String DIGEST = "keys.digest";
    private static final String VERSION = "redis-version";
    private static final List<String> FILES = List.of(RedisServer.RDB, RedisServer.ACL, DIGEST);

    private final RedisEngine engine;

    RedisBackups(RedisEngine engine) {
        this.engine = engine;
    }

    @Override
    public BaseBackup take(ServiceDefinition service, Endpoint source, Path directory, Path log) {
        ServiceUser user = engine.runner().serviceUser();
        user.privateDirectory(directory);
        String version;
        List<String> users;
        try (RedisConnection connection = RedisConnection.open(source)) {
            version = RedisInspection.version(connection, engine.family());
            users = RedisUsers.aclList(connection);
        }
        Instant startedAt = engine.clock().instant();
        List<String> argv = new ArrayList<>(engine.cli(source));
        argv.addAll(List.of("--rdb", directory.resolve(RedisServer.RDB).toString()));
        try (Passfile password = source.password() == null ? null : engine.passwordInput(source, "")) {
            Command fetch = Command.of(argv).asServiceUser().loggingTo(log).withTimeout(Duration.ofHours(6));
            engine.runner().run(password == null ? fetch : fetch.readingFrom(password.path()));
        } catch (ProcessFailedException e) {
            throw new ForkrunnerException("cannot fetch a snapshot of " + service.name() + " (" + source + ") with"
                    + " redis-cli --rdb: " + e.getMessage() + " (see " + log + ")");
        }
        Instant endedAt = engine.clock().instant();
        user.write(directory.resolve(RedisServer.ACL), String.join("\n", users) + "\n");
        checkRdb(directory).ifPresent(problem -> {
            throw new ForkrunnerException("the snapshot of " + service.name() + " failed verification: " + problem);
        });
        try (ScratchServer scratch = ScratchServer.loading(engine.family(), engine.runner(), directory)) {
            KeyDigest.of(scratch.connection()).write(directory.resolve(DIGEST));
        }
        user.own(directory.resolve(DIGEST));
        Map<String, String> manifest = new LinkedHashMap<>();
        manifest.put(VERSION, version);
        for (String file : FILES) {
            manifest.put(file, sha256(directory.resolve(file)));
        }
        StringBuilder text = new StringBuilder();
        manifest.forEach(
                (name, value) -> text.append(name).append('=').append(value).append('\n'));
        user.write(directory.resolve(MANIFEST), text.toString());
        return new BaseBackup(startedAt, endedAt, 1, "snapshot", "snapshot", DirectoryTree.size(directory));
    }

    @Override
    public Optional<String> verify(Path directory) {
        Map<String, String> manifest = manifest(directory);
        if (manifest.isEmpty()) {
            return Optional.of(MANIFEST + " is missing or empty");
        }
        List<String> problems = new ArrayList<>();
        for (String file : FILES) {
            String expected = manifest.get(file);
            try {
                String found = sha256(directory.resolve(file));
                if (!found.equals(expected)) {
                    problems.add(file + " has changed since the backup was taken (SHA-256 " + found + ", the manifest"
                            + " says " + expected + ")");
                }
            } catch (ForkrunnerException e) {
                problems.add(e.getMessage());
            }
        }
        checkRdb(directory).ifPresent(problems::add);
        return problems.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", problems));
    }

    @Override
    public int majorVersion(Path directory) {
        String version = manifest(directory).get(VERSION);
        if (version == null) {
            throw new ForkrunnerException("cannot read the " + engine.family().title() + " version of the backup in "
                    + directory + ": its " + MANIFEST + " names none");
        }
        return MajorMinor.number(version, engine.family().title());
    }

    /** What {@code redis-check-rdb} finds wrong with the snapshot, or empty. */
    private Optional<String> checkRdb(Path directory) {
        try {
            engine.runner()
                    .run(Command.of(
                                    engine.family().program("check-rdb"),
                                    directory.resolve(RedisServer.RDB).toString())
                            .asServiceUser()
                            .withTimeout(Duration.ofHours(1)));
            return Optional.empty();
        } catch (ProcessFailedException e) {
            return Optional.of(engine.family().program("check-rdb") + ": "
                    + e.getMessage()
                            .lines()
                            .filter(line -> line.contains("---") || line.contains("Error") || line.contains("error"))
                            .findFirst()
                            .orElse(e.getMessage())
                            .strip());
        }
    }

    private static Map<String, String> manifest(Path directory) {
        Map<String, String> manifest = new LinkedHashMap<>();
        ServiceUser.readIfExists(directory.resolve(MANIFEST))
                .lines()
                .filter(line -> line.contains("="))
                .forEach(line ->
                        manifest.put(line.substring(0, line.indexOf('=')), line.substring(line.indexOf('=') + 1)));
        return manifest;
    }

    private static String sha256(Path file) {
        try {
            return Sha256.hex(Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS));
        } catch (NoSuchFileException e) {
            throw new ForkrunnerException(file.getFileName() + " is missing");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}
