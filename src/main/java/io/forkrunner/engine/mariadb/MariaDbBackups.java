package io.forkrunner.engine.mariadb;

import io.forkrunner.definition.ServiceDefinition;
import io.forkrunner.engine.Backups;
import io.forkrunner.engine.BaseBackup;
import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.MajorMinor;
import io.forkrunner.system.Command;
import io.forkrunner.system.DirectoryTree;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.ProcessFailedException;
import io.forkrunner.system.ServiceUser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Physical backups with mariadb-backup ({@code --backup}, then {@code --prepare}) of a server on this host, whose data
 * directory the {@code mysql} user reads. A backup is verified by what it records (prepared whole, its binlog position)
 * and by {@code innochecksum} over every InnoDB file: each page's checksum read again.
 */
final class MariaDbBackups implements Backups {

    private static final Pattern SERVER_VERSION = Pattern.compile("(?m)^server_version = (\\S+)");
    /** What xtrabackup_checkpoints says of a prepared backup: {@code log-applied} in MariaDB 10.11, else this. */
    private static final Pattern PREPARED = Pattern.compile("(?m)^backup_type = (log-applied|full-prepared)$");

    /**
     * The doublewrite buffer of the system tablespace (ibdata1): two blocks of 64 pages that hold copies of other
     * tablespaces' pages on their way to disk, not pages of ibdata1's own, so innochecksum rejects them; left out.
     */
    private static final int DOUBLEWRITE_FIRST_PAGE = 64;

    private static final int DOUBLEWRITE_LAST_PAGE = 191;

    private final MariaDbEngine engine;

    MariaDbBackups(MariaDbEngine engine) {
        this.engine = engine;
    }

    @Override
    public BaseBackup take(ServiceDefinition service, Endpoint source, Path directory, Path log) {
        Instant startedAt = engine.clock().instant();
        BinlogPosition position = new MariaDbBackup(engine.runner(), engine.binaries())
                .backUp(MariaDbEngine.login(source), null, engine.clientDirectory(), directory, log);
        Instant endedAt = engine.clock().instant();
        verify(directory).ifPresent(problem -> {
            throw new ForkrunnerException("backup " + directory.getFileName() + " failed verification: " + problem);
        });
        String at = position.toString();
        return new BaseBackup(startedAt, endedAt, 1, at, at, DirectoryTree.size(directory));
    }

    @Override
    public java.util.Optional<String> verify(Path directory) {
        List<String> problems = new ArrayList<>();
        if (!PREPARED.matcher(ServiceUser.readIfExists(directory.resolve("xtrabackup_checkpoints")))
                .find()) {
            problems.add("xtrabackup_checkpoints does not say the backup was prepared (backup_type = log-applied):"
                    + " it cannot be restored as it is");
        }
        try {
            MariaDbBackup.position(directory);
        } catch (ForkrunnerException e) {
            problems.add(e.getMessage());
        }
        for (Path file : innoDbFiles(directory)) {
            List<List<String>> ranges = file.getFileName().toString().equals("ibdata1")
                    ? List.of(
                            List.of("--end-page=" + (DOUBLEWRITE_FIRST_PAGE - 1)),
                            List.of("--start-page=" + (DOUBLEWRITE_LAST_PAGE + 1)))
                    : List.of(List.of());
            for (List<String> range : ranges) {
                List<String> argv =
                        new ArrayList<>(List.of(engine.binaries().innochecksum().toString()));
                argv.addAll(range);
                argv.add(file.toString());
                try {
                    engine.runner().run(Command.of(argv).asServiceUser().withTimeout(Duration.ofHours(1)));
                } catch (ProcessFailedException e) {
                    problems.add("checksum mismatch in " + directory.relativize(file) + ": "
                            + e.getMessage()
                                    .lines()
                                    .skip(1)
                                    .findFirst()
                                    .orElse(e.getMessage())
                                    .strip());
                }
            }
        }
        return problems.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(String.join("; ", problems));
    }

    @Override
    public int majorVersion(Path directory) {
        Matcher matcher = SERVER_VERSION.matcher(ServiceUser.readIfExists(directory.resolve("xtrabackup_info")));
        if (!matcher.find()) {
            throw new ForkrunnerException("cannot read the MariaDB version of the backup in " + directory
                    + ": its xtrabackup_info names no server_version");
        }
        return MajorMinor.number(matcher.group(1), "MariaDB");
    }

    /** The system tablespace and every table's file, never through a link. */
    private static List<Path> innoDbFiles(Path directory) {
        try (Stream<Path> tree = Files.walk(directory)) {
            return tree.filter(path -> Files.isRegularFile(path, java.nio.file.LinkOption.NOFOLLOW_LINKS))
                    .filter(path -> path.getFileName().toString().equals("ibdata1")
                            || path.getFileName().toString().endsWith(".ibd"))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the backup " + directory, e);
        }
    }
}
