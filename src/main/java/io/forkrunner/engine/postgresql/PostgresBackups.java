package io.forkrunner.engine.postgresql;

import io.forkrunner.definition.ServiceDefinition;
import io.forkrunner.engine.Backups;
import io.forkrunner.engine.BaseBackup;
import io.forkrunner.engine.Endpoint;
import io.forkrunner.system.Command;
import io.forkrunner.system.DirectoryTree;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.Passfile;
import io.forkrunner.system.ProcessFailedException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Base backups with pg_basebackup (the WAL to make them consistent streamed in), checked with pg_verifybackup. */
final class PostgresBackups implements Backups {

    private static final Pattern LABEL_START = Pattern.compile("START WAL LOCATION: ([0-9A-F]+/[0-9A-F]+)");
    private static final Pattern LABEL_TIMELINE = Pattern.compile("START TIMELINE: (\\d+)");

    private final PostgresEngine engine;

    PostgresBackups(PostgresEngine engine) {
        this.engine = engine;
    }

    @Override
    public BaseBackup take(ServiceDefinition service, Endpoint source, Path directory, Path log) {
        if (Files.exists(directory)) {
            throw new ForkrunnerException("backup directory " + directory + " exists already");
        }
        engine.runner().serviceUser().privateDirectory(directory.getParent());
        Instant startedAt = engine.clock().instant();
        try (Passfile passfile = engine.passfile(source)) {
            engine.runner()
                    .run(engine.clientCommand(
                                    source,
                                    passfile,
                                    "pg_basebackup",
                                    "-D",
                                    directory.toString(),
                                    "--format=plain",
                                    "--wal-method=stream",
                                    "--checkpoint=fast",
                                    "--label=forkrunner " + directory.getFileName(),
                                    "--progress",
                                    "--verbose")
                            .loggingTo(log));
        }
        Instant endedAt = engine.clock().instant();
        verify(directory).ifPresent(problem -> {
            throw new ForkrunnerException("backup " + directory.getFileName() + " failed verification: " + problem);
        });
        return describe(directory, startedAt, endedAt);
    }

    /**
     * Checks every file of the backup against its {@code backup_manifest} (sizes and checksums) and parses the WAL the
     * backup holds, with pg_verifybackup. The problems it names, or empty when the backup is whole.
     */
    @Override
    public Optional<String> verify(Path directory) {
        return verifyBackup(directory);
    }

    /** As {@link #verify}, the checksums left out: every file of the manifest there with its size, and the WAL parsed. */
    @Override
    public Optional<String> verifyWithoutChecksums(Path directory) {
        return verifyBackup(directory, "--skip-checksums");
    }

    private Optional<String> verifyBackup(Path directory, String... options) {
        List<String> argv = new ArrayList<>(List.of(engine.tools().path("pg_verifybackup"), "--quiet"));
        argv.addAll(List.of(options));
        argv.add(directory.toString());
        try {
            engine.runner().run(Command.of(argv).asServiceUser().withTimeout(Duration.ofHours(6)));
            return Optional.empty();
        } catch (ProcessFailedException e) {
            List<String> errors = e.getMessage()
                    .lines()
                    .map(String::strip)
                    .filter(line -> line.startsWith("pg_verifybackup: error: "))
                    .map(line -> line.substring("pg_verifybackup: error: ".length()))
                    .toList();
            return Optional.of(errors.isEmpty() ? e.getMessage() : String.join("; ", errors));
        }
    }

    private BaseBackup describe(Path directory, Instant startedAt, Instant endedAt) {
        try {
            String label = Files.readString(directory.resolve("backup_label"));
            JsonNode manifest = JsonMapper.builder()
                    .build()
                    .readTree(directory.resolve("backup_manifest").toFile());
            JsonNode range = manifest.path("WAL-Ranges").path(0);
            return new BaseBackup(
                    startedAt,
                    endedAt,
                    Integer.parseInt(find(LABEL_TIMELINE, label, 1)),
                    find(LABEL_START, label, 1),
                    range.path("End-LSN").asText(),
                    DirectoryTree.size(directory));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the backup label or manifest in " + directory, e);
        }
    }

    private static String find(Pattern pattern, String text, int group) {
        Matcher matcher = pattern.matcher(text);
        if (!matcher.find()) {
            throw new ForkrunnerException("backup_label lacks " + pattern.pattern());
        }
        return matcher.group(group);
    }

    @Override
    public int majorVersion(Path directory) {
        try {
            return Integer.parseInt(
                    Files.readString(directory.resolve("PG_VERSION")).strip());
        } catch (IOException | NumberFormatException e) {
            throw new ForkrunnerException(
                    "cannot read the PostgreSQL version of the backup in " + directory + ": " + e);
        }
    }
}
