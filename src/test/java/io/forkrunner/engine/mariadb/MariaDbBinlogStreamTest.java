package io.forkrunner.engine.mariadb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.forkrunner.system.ChildProcess;
import io.forkrunner.system.Command;
import io.forkrunner.system.DirectoryTree;
import io.forkrunner.system.ProcessRunner;
import io.forkrunner.system.Secret;
import io.forkrunner.system.ServerProcess;
import io.forkrunner.testing.Ports;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The binlog stream and archive against a real source this test starts (never the machine's own MariaDB on 3306): the
 * archive follows the source file by file, a killed stream's successor resumes at the archive's newest file, and the
 * archive reports gaps and prunes only what lies before a position.
 */
class MariaDbBinlogStreamTest {

    private static final Map<String, String> SMALL = Map.of("innodb-buffer-pool-size", "64M");
    /** The archiver's password, quoted at every layer only if every layer quotes right. */
    private static final Secret PASSWORD =
            new Secret("arch-" + UUID.randomUUID().toString().substring(0, 8) + "\"'\\#; x;");

    private static final Secret ROOT_PASSWORD =
            new Secret("root-" + UUID.randomUUID().toString().substring(0, 8));
    private static final Duration CATCH_UP = Duration.ofSeconds(60);

    static Path root;
    static ProcessRunner runner;
    static MariaDbBinaries binaries;
    static MariaDbServer source;
    static int sourcePort;
    static final ArgvWatcher argvs = new ArgvWatcher(PASSWORD.reveal());

    @BeforeAll
    static void aSourceWithBinlogsAndAnArchiverLogin() throws IOException {
        argvs.start();
        root = Path.of(
                        "target",
                        "test-homes",
                        "binlog-" + UUID.randomUUID().toString().substring(0, 8))
                .toAbsolutePath();
        Files.createDirectories(root);
        for (Path path = root; !path.equals(Path.of("").toAbsolutePath()); path = path.getParent()) {
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        runner = new ProcessRunner(MariaDbServer.serviceUser());
        binaries = MariaDbBinaries.debian();
        source = new MariaDbServer(runner, binaries, root.resolve("source"));
        sourcePort = Ports.one();
        source.initialize(ROOT_PASSWORD);
        source.start(sourcePort, 1, SMALL);
        asRoot("CREATE USER archiver@'127.0.0.1' IDENTIFIED BY " + MariaDbServer.sqlString(PASSWORD.reveal()));
        asRoot("GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO archiver@'127.0.0.1'");
        asRoot("CREATE DATABASE shop");
        asRoot("CREATE TABLE shop.items (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL) ENGINE=InnoDB");
    }

    @AfterAll
    static void stopEverything() {
        argvs.stop();
        try {
            if (source != null) {
                source.stop();
            }
        } finally {
            DirectoryTree.delete(root);
        }
    }

    @Test
    void aKilledStreamsSuccessorResumesAtTheNewestFileAndTheArchiveEndsEqualToTheSource() throws Exception {
        Path archiveDirectory = root.resolve("archive");
        MariaDbBinlogStream first = stream(archiveDirectory);
        ChildProcess firstProcess = first.start();
        try {
            Path optionFile = optionFileOf(binlogProcess(firstProcess));
            assertThat(permissions(optionFile)).isEqualTo("rw-------");
            assertThat(owner(optionFile)).isEqualTo(runner.serviceUser().name());
            assertThat(owner(archiveDirectory)).isEqualTo(runner.serviceUser().name());

            Instant lastWrite = writeBatches(1, 3);
            awaitArchiveEqualsSource(archiveDirectory, lastWrite);
            await().atMost(CATCH_UP).until(() -> first.lagBytes().equals(OptionalLong.of(0)));

            binlogProcess(firstProcess).destroyForcibly();
            firstProcess.awaitExit();
            first.close();
            assertThat(optionFile).doesNotExist();
            Map<String, Object> completeBefore = identities(archiveDirectory, true);

            Instant lastWriteAfterKill = writeBatches(4, 6);
            assertThat(first.lagBytes()).as("a closed stream knows no lag").isEmpty();
            MariaDbBinlogStream second = stream(archiveDirectory);
            ChildProcess secondProcess = second.start();
            try {
                assertThat(ServerProcess.commandLine(
                                binlogProcess(secondProcess).pid()))
                        .last()
                        .as("starts at the archive's newest file")
                        .isEqualTo(newestOf(completeBefore));
                awaitArchiveEqualsSource(archiveDirectory, lastWriteAfterKill);
                Map<String, Object> completeAfter = identities(archiveDirectory, false);
                completeBefore.remove("(newest)");
                completeBefore.forEach((name, identity) -> assertThat(completeAfter.get(name))
                        .as("complete file %s left as it was", name)
                        .isEqualTo(identity));
            } finally {
                secondProcess.end();
                second.close();
            }
        } finally {
            firstProcess.end();
            first.close();
        }
        assertThat(argvs.clientsSeen()).as("clients with an option file seen").isGreaterThan(0);
        assertThat(argvs.withTheSecret()).as("argvs holding the password").isEmpty();
    }

    @Test
    void aDeletedMiddleFileIsAGapAndPruningRemovesOnlyOlderFiles() throws IOException {
        writeBatches(7, 10);
        Path copy = root.resolve("copy");
        Files.createDirectories(copy);
        for (Path file : source.binlogFiles()) {
            Files.copy(file, copy.resolve(file.getFileName()));
        }
        runner.serviceUser().own(copy); // an archive is the service user's, who reads it for newestCommit
        MariaDbBinlogArchive whole = new MariaDbBinlogArchive(copy, runner, binaries);
        List<String> names =
                whole.files().stream().map(file -> file.name().file()).toList();
        assertThat(names.size()).isGreaterThanOrEqualTo(4);
        String oldest = names.get(0);
        String middle = names.get(names.size() / 2);
        String newest = names.get(names.size() - 1);
        assertThat(whole.continuousFrom(oldest + ":4")).isTrue();
        assertThat(whole.newestCommit()).isPresent();

        Files.delete(copy.resolve(middle));
        MariaDbBinlogArchive holed = new MariaDbBinlogArchive(copy, runner, binaries);

        assertThat(holed.gapsFrom(oldest + ":4")).containsExactly(middle);
        assertThat(holed.continuousFrom(oldest + ":4")).isFalse();
        assertThat(holed.continuousFrom(newest + ":4")).isTrue();

        int removed = holed.pruneBefore(middle + ":883");

        assertThat(removed).isEqualTo(names.indexOf(middle));
        List<String> left = new MariaDbBinlogArchive(copy, runner, binaries)
                .files().stream().map(file -> file.name().file()).toList();
        assertThat(left).isEqualTo(names.subList(names.indexOf(middle) + 1, names.size()));
    }

    private MariaDbBinlogStream stream(Path archive) {
        return new MariaDbBinlogStream(
                runner,
                binaries,
                MariaDbServer.tcpLogin(sourcePort, "archiver", PASSWORD),
                MariaDbBinlogStream.serverId("shop"),
                archive,
                MariaDbChangeArchive.runDirectory(archive),
                root.resolve("logs/stream.log"));
    }

    /**
     * Waits until the archive holds the files the source lists, the complete ones byte for byte and the newest as long
     * as the source's, and its newest commit lies at or after {@code lastWrite}'s second.
     */
    private static void awaitArchiveEqualsSource(Path archive, Instant lastWrite) {
        await().atMost(CATCH_UP).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            List<Path> onSource = source.binlogFiles();
            List<MariaDbBinlogArchive.Archived> archived = new MariaDbBinlogArchive(archive, runner, binaries).files();
            assertThat(archived.stream().map(file -> file.name().file()))
                    .containsExactlyElementsOf(onSource.stream()
                            .map(file -> file.getFileName().toString())
                            .toList());
            for (int i = 0; i < onSource.size() - 1; i++) {
                assertThat(archived.get(i).path()).hasSameBinaryContentAs(onSource.get(i));
            }
            assertThat(archived.get(archived.size() - 1).size())
                    .isEqualTo(Files.size(onSource.get(onSource.size() - 1)));
        });
        await().atMost(CATCH_UP)
                .until(() -> new MariaDbBinlogArchive(archive, runner, binaries)
                        .newestCommit()
                        .filter(commit -> !commit.isBefore(lastWrite.truncatedTo(ChronoUnit.SECONDS)))
                        .isPresent());
    }

    /**
     * Batches {@code from} to {@code to} of 100 rows, one transaction each, with {@code FLUSH BINARY LOGS} after each
     * but the last; returns the time just before the last one.
     */
    private static Instant writeBatches(int from, int to) {
        Instant last = null;
        for (int batch = from; batch <= to; batch++) {
            if (batch > from) {
                asRoot("FLUSH BINARY LOGS");
            }
            last = Instant.now();
            int firstId = (batch - 1) * 100 + 1;
            asRoot("INSERT INTO shop.items SELECT seq, MD5(seq) FROM shop.seq_" + firstId + "_to_" + (firstId + 99));
        }
        return last;
    }

    /** Each complete archived file (all but the newest) or every file, with its inode and modification time. */
    private static Map<String, Object> identities(Path archive, boolean completeOnly) throws IOException {
        List<MariaDbBinlogArchive.Archived> files = new MariaDbBinlogArchive(archive, runner, binaries).files();
        Map<String, Object> identities = new HashMap<>();
        for (int i = 0; i < files.size() - (completeOnly ? 1 : 0); i++) {
            BasicFileAttributes attributes =
                    Files.readAttributes(files.get(i).path(), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            identities.put(files.get(i).name().file(), List.of(attributes.fileKey(), attributes.lastModifiedTime()));
        }
        identities.put("(newest)", files.get(files.size() - 1).name().file());
        return identities;
    }

    private static String newestOf(Map<String, Object> identities) {
        return (String) identities.get("(newest)");
    }

    /** The mariadb-binlog process under the stream's child (runuser when running as root, else the child itself). */
    private static ProcessHandle binlogProcess(ChildProcess child) {
        Optional<ProcessHandle> self = ProcessHandle.of(child.pid());
        return await().atMost(Duration.ofSeconds(10))
                .until(
                        () -> self.stream()
                                .flatMap(handle -> Stream.concat(Stream.of(handle), handle.descendants()))
                                .filter(handle -> {
                                    List<String> argv = ServerProcess.commandLine(handle.pid());
                                    return !argv.isEmpty()
                                            && Path.of(argv.get(0))
                                                    .getFileName()
                                                    .toString()
                                                    .equals("mariadb-binlog");
                                })
                                .findFirst(),
                        Optional::isPresent)
                .orElseThrow();
    }

    private static Path optionFileOf(ProcessHandle process) {
        List<String> argv = ServerProcess.commandLine(process.pid());
        assertThat(argv.get(1)).startsWith("--defaults-file=");
        return Path.of(argv.get(1).substring("--defaults-file=".length()));
    }

    private static String asRoot(String statement) {
        try (OptionFile options = OptionFile.client(
                root.resolve("run"), runner.serviceUser(), MariaDbServer.tcpLogin(sourcePort, "root", ROOT_PASSWORD))) {
            return runner.run(Command.of(
                                    binaries.client().toString(),
                                    options.argument(),
                                    "--batch",
                                    "--skip-column-names",
                                    "--execute=" + statement)
                            .asServiceUser()
                            .withTimeout(Duration.ofMinutes(1)))
                    .strip();
        }
    }

    private static String permissions(Path file) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS));
    }

    private static String owner(Path file) throws IOException {
        return Files.getOwner(file, LinkOption.NOFOLLOW_LINKS).getName();
    }
}
