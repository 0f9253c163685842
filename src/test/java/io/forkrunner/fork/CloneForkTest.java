package io.forkrunner.fork;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkrunner.testing.CliResult;
import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestHome;
import io.forkrunner.testing.TestSource;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A fork whose backup and region root share a file system that clones files: the backup is cloned, not copied, the run
 * says so, and the fork is independent of it: rewriting every row of the fork leaves the backup's blocks alone, as
 * pg_verifybackup shows. The home's {@code var/} is an XFS file system with reflink on a loop device.
 */
class CloneForkTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Path PG_BIN = Path.of("/usr/lib/postgresql/15/bin");
    private static final int ROWS = 200_000;

    static TestHome home;
    static TestSource source;
    static Path var;

    @BeforeAll
    static void aSourceBackedUpOnAFileSystemThatClones() throws Exception {
        home = TestHome.create("clone-fork");
        var = home.xfs("var", 2048);
        source = TestSource.start(home, "ledger", "Ledger-pw-71c3");
        source.sql("create database ledger");
        try (Connection ledger = source.connect("ledger");
                Statement statement = ledger.createStatement()) {
            statement.execute("create table entries as select g as id, md5(g::text) as note"
                    + " from generate_series(1, " + ROWS + ") g");
        }
        home.write("config/services.yml", """
                regions:
                  local: { provisioner: local, root: var/regions/local, ports: %s }
                services:
                %s""".formatted(
                        Ports.range(20).yaml(), source.serviceYaml("local", "{ keep: 2, wal: stream }")));
        home.job("copy", """
                source: ledger
                database: ledger
                target:
                  name: copy-{run}
                """);
        home.serveAndBackUp("ledger");
    }

    @AfterAll
    static void close() {
        home.close();
        TestHome.unmount(var);
    }

    @Test
    void theBackupIsClonedAndStillVerifiesAfterTheForkRewroteEveryRow() throws Exception {
        CliResult run = home.cli("run", "copy", "--json");
        assertThat(run.exitCode()).as(run.toString()).isZero();
        JsonNode view = JSON.readTree(run.out());
        assertThat(TestHome.step(view, "restore-data")
                        .path("report")
                        .path("lay-down")
                        .asText())
                .isEqualTo("cloned (copy-on-write)");
        String fork = view.path("fork").asText();

        try (Connection connection = home.connectToFork(fork, "ledger", source.password());
                Statement statement = connection.createStatement()) {
            assertThat(count(statement)).isEqualTo(ROWS);
            statement.execute("update entries set note = md5(note)");
            statement.execute("vacuum full entries");
            statement.execute("checkpoint");
        }

        Path backup = onlyBackup();
        Process verify = new ProcessBuilder(PG_BIN.resolve("pg_verifybackup").toString(), "--quiet", backup.toString())
                .redirectErrorStream(true)
                .start();
        String output = new String(verify.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(verify.waitFor()).as(output).isZero();

        CliResult again = home.cli("run", "copy", "--json");
        assertThat(again.exitCode()).as(again.toString()).isZero();
        String second = JSON.readTree(again.out()).path("fork").asText();
        try (Connection connection = home.connectToFork(second, "ledger", source.password());
                Statement statement = connection.createStatement();
                ResultSet changed = statement.executeQuery("select count(*) from entries where note = md5(id::text)")) {
            changed.next();
            assertThat(changed.getLong(1))
                    .as("rows of a second fork of the same backup as the source wrote them")
                    .isEqualTo(ROWS);
        }
    }

    private static long count(Statement statement) throws Exception {
        try (ResultSet rows = statement.executeQuery("select count(*) from entries")) {
            rows.next();
            return rows.getLong(1);
        }
    }

    private static Path onlyBackup() throws Exception {
        try (Stream<Path> backups = Files.list(var.resolve("backups/ledger/base"))) {
            List<Path> all = backups.toList();
            assertThat(all).hasSize(1);
            return all.get(0);
        }
    }
}
