package io.forkrunner.fork;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkrunner.testing.CliResult;
import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestHome;
import io.forkrunner.testing.TestSource;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A backup damaged after it was verified is verified again while a run restores it: the run fails at restore data
 * naming what is wrong, before the restore is used; the backup is marked FAILED in {@code backups}, and the next run
 * forks from an older verified backup. A backup whose files are missing is refused at pick backup already.
 */
class CorruptBackupTest {

    static final JsonMapper JSON = JsonMapper.builder().build();
    static TestHome home;
    static TestSource damaged;
    static TestSource unlisted;

    @BeforeAll
    static void sources() {
        home = TestHome.create("corrupt-backup");
        damaged = TestSource.start(home, "damaged", "Damaged-pw-61c2");
        unlisted = TestSource.start(home, "unlisted", "Unlisted-pw-0b7e");
        home.declareServices(
                Ports.range(10),
                damaged.serviceYaml("eu-local", "{ keep: 3, wal: none }"),
                unlisted.serviceYaml("eu-local", "{ keep: 3, wal: none }"));
        for (String service : List.of("damaged", "unlisted")) {
            home.job(service, """
                    source: %1$s
                    database: shop
                    target:
                      name: %1$s-{run}
                    """.formatted(service));
        }
    }

    @AfterAll
    static void close() {
        home.close();
    }

    @Test
    void eightBytesOverwrittenInATableFileRefuseTheRunNamingTheFileAndTheNextRunForksFromTheOlderBackup()
            throws Exception {
        damaged.sql("create database shop");
        items(damaged, "create table items as select g as id, md5(g::text) as note from generate_series(1, 5000) g");
        String older = backup("damaged");
        items(damaged, "insert into items select g, md5(g::text) from generate_series(5001, 6000) g");
        String newest = backup("damaged");
        String table = tableFile(damaged);
        overwrite(home.path("var/backups/damaged/base/" + newest).resolve(table), 8192 + 512, 8);

        CliResult refused = home.cli("run", "damaged", "--json");
        assertThat(refused.exitCode()).as(refused.toString()).isEqualTo(1);
        JsonNode run = JSON.readTree(refused.out());
        assertThat(TestHome.step(run, "pick-backup").path("state").asText()).isEqualTo("COMPLETED");
        assertThat(TestHome.step(run, "restore-data").path("state").asText()).isEqualTo("FAILED");
        assertThat(TestHome.step(run, "restore-data").path("error").asText())
                .contains(newest, "checksum mismatch", table, "marked FAILED");
        assertThat(TestHome.step(run, "copy-configuration").path("state").asText())
                .isEqualTo("PENDING");
        assertThat(home.cli("forks").out()).doesNotContain(run.path("fork").asText());

        JsonNode marked = backupNamed("damaged", newest);
        assertThat(marked.path("state").asText()).isEqualTo("FAILED");
        assertThat(marked.path("error").asText()).contains("checksum mismatch", table);
        assertThat(backupNamed("damaged", older).path("state").asText()).isEqualTo("VERIFIED");
        assertThat(home.cli("backups", "damaged").out()).contains(newest + "  FAILED");

        CliResult restarted = home.cli("restart", run.path("run").asText());
        assertThat(restarted.exitCode()).as(restarted.toString()).isEqualTo(1);
        assertThat(restarted.out() + restarted.err()).contains(newest, "is damaged");

        CliResult next = home.cli("run", "damaged", "--json");
        assertThat(next.exitCode()).as(next.toString()).isZero();
        JsonNode forked = JSON.readTree(next.out());
        assertThat(forked.path("backup").asText()).isEqualTo(older);
        try (Connection fork = home.connectToFork(forked.path("fork").asText(), "shop", damaged.password());
                Statement statement = fork.createStatement();
                ResultSet row = statement.executeQuery("select count(*) from items")) {
            row.next();
            assertThat(row.getInt(1)).isEqualTo(5000);
        }
    }

    @Test
    void aBackupWhoseManifestIsGoneIsRefusedAndNoLongerShownVerified() throws Exception {
        unlisted.sql("create database shop");
        items(unlisted, "create table items as select g as id, md5(g::text) as note from generate_series(1, 1000) g");
        String id = backup("unlisted");
        Files.delete(home.path("var/backups/unlisted/base/" + id).resolve("backup_manifest"));

        CliResult refused = home.cli("run", "unlisted", "--json");
        assertThat(refused.exitCode()).as(refused.toString()).isEqualTo(1);
        JsonNode run = JSON.readTree(refused.out());
        assertThat(TestHome.step(run, "pick-backup").path("error").asText()).contains(id, "backup_manifest");
        assertThat(TestHome.step(run, "restore-data").path("state").asText()).isEqualTo("PENDING");

        JsonNode marked = backupNamed("unlisted", id);
        assertThat(marked.path("state").asText()).isEqualTo("FAILED");
        assertThat(marked.path("error").asText()).contains("backup_manifest");
        JsonNode window =
                JSON.readTree(home.cli("backups", "unlisted", "--json").out()).path("window");
        assertThat(window.isNull() || window.isMissingNode())
                .as(window.toString())
                .isTrue();
    }

    private static String backup(String service) {
        CliResult backup = home.cli("backup", service, "--json");
        assertThat(backup.exitCode()).as(backup.toString()).isZero();
        return JSON.readTree(backup.out()).path("id").asText();
    }

    private static JsonNode backupNamed(String service, String id) {
        List<String> seen = new ArrayList<>();
        for (JsonNode backup :
                JSON.readTree(home.cli("backups", service, "--json").out()).path("backups")) {
            if (backup.path("id").asText().equals(id)) {
                return backup;
            }
            seen.add(backup.path("id").asText());
        }
        throw new AssertionError("backups " + service + " lists no backup " + id + " but " + seen);
    }

    private static void items(TestSource source, String sql) throws Exception {
        try (Connection shop = source.connect("shop");
                Statement statement = shop.createStatement()) {
            statement.execute(sql);
            statement.execute("checkpoint");
        }
    }

    /** Where the items table lies in a data directory (and so in a plain backup of it). */
    private static String tableFile(TestSource source) throws Exception {
        try (Connection shop = source.connect("shop");
                Statement statement = shop.createStatement();
                ResultSet row = statement.executeQuery("select pg_relation_filepath('items')")) {
            row.next();
            return row.getString(1);
        }
    }

    private static void overwrite(Path file, long offset, int bytes) throws Exception {
        long size = Files.size(file);
        assertThat(size).isGreaterThan(offset + bytes);
        try (RandomAccessFile data = new RandomAccessFile(file.toFile(), "rw")) {
            data.seek(offset);
            data.write("DAMAGED!".substring(0, bytes).getBytes(StandardCharsets.US_ASCII));
        }
        assertThat(Files.size(file)).isEqualTo(size);
    }
}
