package io.forkrunner.engine.mariadb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.forkrunner.system.Command;
import io.forkrunner.system.DirectoryTree;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.ProcessRunner;
import io.forkrunner.system.Secret;
import io.forkrunner.system.ServerProcess;
import io.forkrunner.testing.Ports;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The MariaDB building blocks against real servers this test starts (never the machine's own on 3306): a source with
 * binary logs, a physical backup of it, and a new instance laid down from that backup and brought to a point in time by
 * replaying the source's binlogs.
 *
 * <p>Rows of {@code shop.items}: batch 1 (ids 1-100) before the backup, batch 2 (101-200) after it and before the
 * stop time, batch 3 (201-300) after the stop time.
 */
class MariaDbPointInTimeTest {

    private static final Map<String, String> SMALL = Map.of("innodb-buffer-pool-size", "64M");
    /** A password that only works when every layer quotes it: both quotes, a backslash, a hash and a semicolon. */
    private static final Secret PASSWORD =
            new Secret("pw-" + UUID.randomUUID().toString().substring(0, 8) + "\"'\\#; x;");

    static Path root;
    static ProcessRunner runner;
    static MariaDbBinaries binaries;
    static MariaDbServer source;
    static MariaDbServer fork;
    static int sourcePort;
    /** Every process's argv, read from /proc while the test runs: the password must be in none of them. */
    static final ArgvWatcher argvs = new ArgvWatcher(PASSWORD.reveal());

    @BeforeAll
    static void aSource() throws IOException {
        argvs.start();
        root = Path.of(
                        "target",
                        "test-homes",
                        "mariadb-" + UUID.randomUUID().toString().substring(0, 8))
                .toAbsolutePath();
        Files.createDirectories(root);
        for (Path path = root; !path.equals(Path.of("").toAbsolutePath()); path = path.getParent()) {
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        runner = new ProcessRunner(MariaDbServer.serviceUser());
        binaries = MariaDbBinaries.debian();
        source = new MariaDbServer(runner, binaries, root.resolve("source"));
        fork = new MariaDbServer(runner, binaries, root.resolve("fork"));
        sourcePort = Ports.one();
        source.initialize(PASSWORD);
        source.start(sourcePort, 1, SMALL);
    }

    @AfterAll
    static void stopEverything() {
        argvs.stop();
        try {
            if (fork != null) {
                fork.stop();
            }
            if (source != null) {
                source.stop();
            }
        } finally {
            DirectoryTree.delete(root);
        }
    }

    @Test
    void aBackupLaidDownAndReplayedToATimeHoldsExactlyTheRowsCommittedBeforeIt() throws Exception {
        MariaDbLogin atSource = MariaDbServer.tcpLogin(sourcePort, "root", PASSWORD);
        sql(atSource, "CREATE DATABASE shop");
        sql(atSource, "CREATE TABLE shop.items (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL) ENGINE=InnoDB");
        insertBatch(atSource, 1);

        Path backupDirectory = root.resolve("backups/first");
        MariaDbBackup backups = new MariaDbBackup(runner, binaries);
        BinlogPosition position = backups.backUp(
                source, source.socketLogin("root", PASSWORD), backupDirectory, root.resolve("backup.log"));
        assertThat(position.file()).isEqualTo("binlog.000001");
        assertThat(position.gtid()).matches("0-1-[0-9]+");
        assertThatThrownBy(() -> backups.backUp(
                        source, source.socketLogin("root", PASSWORD), backupDirectory, root.resolve("backup.log")))
                .isInstanceOf(ForkrunnerException.class)
                .hasMessageContaining("exists already");

        insertBatch(atSource, 2);
        String batchesOneAndTwo = contents(atSource);
        Instant stop = Instant.now().truncatedTo(ChronoUnit.SECONDS).plusSeconds(1);
        awaitClockPast(
                stop.plusSeconds(1)); // binlog events carry whole seconds: batch 3 is stamped after the stop time's
        insertBatch(atSource, 3);
        sql(atSource, "FLUSH BINARY LOGS");
        assertThat(contents(atSource)).startsWith("300 ");

        int forkPort = Ports.one();
        backups.layDown(backupDirectory, fork, root.resolve("lay-down.log"));
        assertThat(Files.getOwner(fork.dataDirectory().resolve("ibdata1"), LinkOption.NOFOLLOW_LINKS)
                        .getName())
                .isEqualTo(runner.serviceUser().name());
        fork.start(forkPort, 2, SMALL);
        MariaDbLogin atFork = MariaDbServer.tcpLogin(forkPort, "root", PASSWORD); // the source's root, from the backup
        assertThat(contents(atFork)).startsWith("100 ");

        new BinlogReplay(runner, binaries)
                .replay(
                        BinlogReplay.Range.after(position, source.binlogFiles(), stop),
                        atFork,
                        fork.runDirectory(),
                        root.resolve("replay.log"));

        assertThat(contents(atFork)).startsWith("200 ").isEqualTo(batchesOneAndTwo);
        assertThat(sql(atFork, "SELECT MAX(id) FROM shop.items")).isEqualTo("200");
        assertThat(argvs.clientsSeen()).as("clients with an option file seen").isGreaterThan(0);
        assertThat(argvs.withTheSecret()).as("argvs holding the password").isEmpty();
    }

    @Test
    void theRootPasswordReachesNoServerArgvAndItsFilesAreTheServiceUsersOnly() throws IOException {
        long pid = source.pid().orElseThrow();
        List<String> argv = ServerProcess.commandLine(pid);
        assertThat(argv).isNotEmpty().noneMatch(argument -> argument.contains(PASSWORD.reveal()));
        assertThat(String.join(" ", argv)).contains("--bind-address=127.0.0.1", "--log-bin=", "--binlog-format=ROW");
        assertThat(permissions(source.optionFile())).isEqualTo("rw-------");

        try (OptionFile options =
                OptionFile.client(source.runDirectory(), runner.serviceUser(), source.socketLogin("root", PASSWORD))) {
            assertThat(permissions(options.path())).isEqualTo("rw-------");
            assertThat(Files.getOwner(options.path(), LinkOption.NOFOLLOW_LINKS).getName())
                    .isEqualTo(runner.serviceUser().name());
        }
    }

    @Test
    void theBackupToolIsOfTheServersVersion() {
        assertThat(binaries.backupVersion(runner))
                .isEqualTo(binaries.version(runner))
                .matches("[0-9]+\\.[0-9]+\\.[0-9]+");
    }

    @Test
    void aServerWithoutADataDirectoryIsNotStarted() {
        MariaDbServer empty = new MariaDbServer(runner, binaries, root.resolve("empty"));

        assertThatThrownBy(() -> empty.start(Ports.one(), 3, SMALL))
                .isInstanceOf(ForkrunnerException.class)
                .hasMessageContaining("no data directory");
        assertThat(empty.isRunning()).isFalse();
    }

    @Test
    void aWrongPasswordIsRefused() {
        assertThatThrownBy(() -> sql(MariaDbServer.tcpLogin(sourcePort, "root", new Secret("wrong")), "SELECT 1"))
                .isInstanceOf(ForkrunnerException.class)
                .hasMessageContaining("Access denied");
    }

    /** Rows {@code (batch-1)*100+1} to {@code batch*100}, each with the MD5 of its id as its name. */
    private static void insertBatch(MariaDbLogin login, int batch) {
        int first = (batch - 1) * 100 + 1;
        sql(login, "INSERT INTO shop.items SELECT seq, MD5(seq) FROM shop.seq_" + first + "_to_" + (first + 99));
    }

    /** The table's row count and an MD5 over all its rows in id order. */
    private static String contents(MariaDbLogin login) {
        return sql(
                login,
                "SELECT CONCAT(COUNT(*), ' ', MD5(GROUP_CONCAT(id, ':', name ORDER BY id SEPARATOR ',')))"
                        + " FROM shop.items");
    }

    private static String sql(MariaDbLogin login, String statement) {
        try (OptionFile options = OptionFile.client(root.resolve("run"), runner.serviceUser(), login)) {
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

    private static void awaitClockPast(Instant instant) throws InterruptedException {
        while (Instant.now().isBefore(instant)) {
            Thread.sleep(Duration.between(Instant.now(), instant).toMillis() + 1);
        }
    }

    private static String permissions(Path file) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS));
    }
}
