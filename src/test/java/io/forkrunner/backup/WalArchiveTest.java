package io.forkrunner.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.forkrunner.testing.CliResult;
import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestHome;
import io.forkrunner.testing.TestSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** {@code serve} keeps a WAL archive per streaming service: the window follows commits, gaps never open, keep prunes. */
class WalArchiveTest {

    static TestHome home;
    static TestSource shop;
    static TestSource kept;

    @BeforeAll
    static void serve() {
        home = TestHome.create("wal-archive");
        shop = TestSource.start(home, "shop", "Shop-pw-93b1");
        kept = TestSource.start(home, "kept", "Kept-pw-0d7e");
        home.declareServices(
                Ports.range(10),
                shop.serviceYaml("eu-local", "{ keep: 5, wal: stream }"),
                kept.serviceYaml("eu-local", "{ keep: 2, wal: stream }"));
        home.start("serve", Map.of(), "serve");
        awaitArchiver("shop", status -> "RUNNING".equals(status.state()));
        awaitArchiver("kept", status -> "RUNNING".equals(status.state()));
    }

    @AfterAll
    static void close() {
        home.close();
    }

    @Test
    void aCommitBringsTheEndOfTheWindowToItsTimeWithinSeconds() {
        assertThat(home.cli("backup", "shop").exitCode()).isZero();
        Instant committed = Instant.parse(
                shop.sql(
                        "create table if not exists orders (id int); insert into orders values (1);"
                                + " select to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"));

        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofSeconds(1))
                .untilAsserted(() -> {
                    JsonNode window = report("shop").path("window");
                    assertThat(Instant.parse(window.path("to").asText())).isAfterOrEqualTo(committed);
                });
    }

    @Test
    void aKilledArchiverIsRestartedAndTheArchiveHasNoGap() throws Exception {
        assertThat(home.cli("backup", "shop").exitCode()).isZero();
        ArchiverStatus before = archiver("shop");
        ProcessHandle receiver = ProcessHandle.of(before.pid())
                .orElseThrow()
                .children()
                .findFirst()
                .orElseThrow();
        assertThat(receiver.info().command().orElse("")).endsWith("pg_receivewal");

        receiver.destroyForcibly();
        for (int i = 0; i < 3; i++) { // WAL written while the archiver is down
            shop.sql("create table if not exists events (n int); insert into events select generate_series(1, 1000);"
                    + " select pg_switch_wal()");
        }
        ArchiverStatus after = awaitArchiver(
                "shop",
                status -> status.restarts() > before.restarts()
                        && "RUNNING".equals(status.state())
                        && !status.pid().equals(before.pid()));
        assertThat(after.restarts()).isGreaterThan(before.restarts());
        String current = shop.sql("select pg_walfile_name(pg_current_wal_lsn())");
        await().atMost(Duration.ofSeconds(30))
                .until(() -> Files.exists(walDirectory("shop").resolve(current + ".partial"))
                        || Files.exists(walDirectory("shop").resolve(current)));

        JsonNode report = report("shop");
        String oldestStart = oldestBackup(report).path("startPosition").asText();
        assertThat(report.path("archive").path("gaps")).isEmpty();
        List<Long> numbers = segmentNumbers(walDirectory("shop"));
        long first = segmentOf(oldestStart);
        long newest = numbers.get(numbers.size() - 1);
        for (long number = first; number <= newest; number++) {
            assertThat(numbers)
                    .as("segment %d of %d..%d", number, first, newest)
                    .contains(number);
        }
    }

    @Test
    void keepPrunesOldBackupsAndTheirWalButNeverWalAKeptBackupNeeds() throws Exception {
        List<String> starts = new ArrayList<>();
        List<Path> directories = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            assertThat(home.cli("backup", "kept").exitCode()).isZero();
            JsonNode newest = newestBackup(report("kept"));
            starts.add(newest.path("startPosition").asText());
            directories.add(Path.of(newest.path("directory").asText()));
            kept.sql("create table if not exists t (n int); insert into t select generate_series(1, 1000);"
                    + " select pg_switch_wal()");
            String current = kept.sql("select pg_walfile_name(pg_current_wal_lsn())");
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> Files.exists(walDirectory("kept").resolve(current + ".partial")));
        }

        JsonNode report = report("kept");
        assertThat(report.path("backups")).hasSize(2);
        assertThat(directories.get(0)).doesNotExist();
        assertThat(directories.get(1)).exists();
        assertThat(directories.get(2)).exists();
        List<Long> numbers = segmentNumbers(walDirectory("kept"));
        long neededFrom = segmentOf(starts.get(1));
        assertThat(numbers).allMatch(number -> number >= neededFrom, "no segment older than the oldest kept backup");
        assertThat(numbers).contains(neededFrom);
        for (long number = neededFrom; number <= numbers.get(numbers.size() - 1); number++) {
            assertThat(numbers).contains(number);
        }
        assertThat(report.path("archive").path("gaps")).isEmpty();
        assertThat(Instant.parse(report.path("window").path("from").asText()))
                .isEqualTo(Instant.parse(oldestBackup(report).path("endedAt").asText()));
    }

    private static JsonNode report(String service) {
        CliResult result = home.cli("backups", service, "--json");
        assertThat(result.exitCode()).as(result.toString()).isZero();
        return JsonMapper.builder().build().readTree(result.out());
    }

    private static JsonNode oldestBackup(JsonNode report) {
        return report.path("backups").path(0);
    }

    private static JsonNode newestBackup(JsonNode report) {
        return report.path("backups").path(report.path("backups").size() - 1);
    }

    private static Path walDirectory(String service) {
        return home.path("var/backups/" + service + "/wal");
    }

    /** Segment numbers of the files in the archive, sorted; 16 MB segments. */
    private static List<Long> segmentNumbers(Path directory) throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            return files.map(path -> path.getFileName().toString())
                    .filter(name -> name.matches("[0-9A-F]{24}(\\.partial)?"))
                    .map(name -> Long.parseLong(name.substring(8, 16), 16) * 256
                            + Long.parseLong(name.substring(16, 24), 16))
                    .sorted()
                    .distinct()
                    .toList();
        }
    }

    private static long segmentOf(String lsn) {
        String[] parts = lsn.split("/");
        return ((Long.parseLong(parts[0], 16) << 32) | Long.parseLong(parts[1], 16)) / (16L * 1024 * 1024);
    }

    private static ArchiverStatus archiver(String service) throws Exception {
        try (Connection connection = home.metadataConnection();
                PreparedStatement statement =
                        connection.prepareStatement("select * from wal_archivers where service = ?")) {
            statement.setString(1, service);
            try (ResultSet row = statement.executeQuery()) {
                if (!row.next()) {
                    return null;
                }
                return new ArchiverStatus(
                        service,
                        row.getString("node"),
                        (Long) row.getObject("pid"),
                        row.getString("state"),
                        null,
                        row.getInt("restarts"),
                        row.getString("last_error"),
                        (Long) row.getObject("lag_bytes"),
                        row.getTimestamp("updated_at").toInstant());
            }
        }
    }

    private static ArchiverStatus awaitArchiver(
            String service, java.util.function.Predicate<ArchiverStatus> condition) {
        return await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(500))
                .ignoreExceptions()
                .until(() -> archiver(service), status -> status != null && condition.test(status));
    }
}
