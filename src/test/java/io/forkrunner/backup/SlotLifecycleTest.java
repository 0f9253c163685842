package io.forkrunner.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.forkrunner.testing.CliResult;
import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestHome;
import io.forkrunner.testing.TestSource;
import io.forkrunner.testing.WebhookReceiver;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The replication slots {@code serve} keeps on a real source for its WAL archives: dropped when the service leaves
 * {@code services.yml} or stops streaming, and when one holds more than {@code backups.max-retained} (the gap is
 * recorded, notified, refused to forks, and a new slot and a fresh base backup begin again). Each case ends with no
 * slot of the case left holding WAL on the source; a slot forkrunner did not make is never dropped.
 */
class SlotLifecycleTest {

    static final JsonMapper JSON = JsonMapper.builder().build();
    static final Map<String, String> services = new LinkedHashMap<>();
    static TestHome home;
    static TestSource source;
    static WebhookReceiver receiver;

    @BeforeAll
    static void serve() throws Exception {
        home = TestHome.create("slot-lifecycle");
        source = TestSource.start(home, "shop", "Shop-pw-5e2c9");
        source.sql("create table orders (id int)");
        source.sql("select pg_create_physical_replication_slot('forkrunner_stranger')");
        receiver = WebhookReceiver.start();
        services.put("gone", "{ keep: 2, wal: stream }");
        services.put("quiet", "{ keep: 2, wal: stream }");
        services.put("busy", """
                { keep: 3, wal: stream, max-retained: 40MB }
                    notifications:
                      - { on: wal-gap, url: "%s" }""".formatted(receiver.url("/gaps")));
        writeServices();
        home.start("serve", Map.of(), "serve");
        for (String service : List.of("gone", "quiet", "busy")) {
            await().atMost(Duration.ofSeconds(90)).ignoreExceptions().until(() -> slotActive("forkrunner_" + service));
        }
    }

    @AfterAll
    static void close() {
        if (receiver != null) {
            receiver.close();
        }
        home.close();
    }

    /** Every service of {@link #services} on the one source, each with its own slot; the password from the file. */
    static synchronized void writeServices() {
        home.declareServices(
                Ports.range(10),
                services.entrySet().stream()
                        .map(service -> source.serviceYamlAs(service.getKey(), "eu-local", service.getValue()))
                        .toArray(String[]::new));
    }

    @Test
    void aServiceRemovedFromServicesYmlHasItsSlotDroppedAtReload() throws Exception {
        synchronized (SlotLifecycleTest.class) {
            services.remove("gone");
            writeServices();
        }

        // the slot goes from the source first, then from forkrunner's records (a failed drop keeps the record)
        await().atMost(Duration.ofSeconds(90))
                .until(() -> slot("forkrunner_gone") == null && !recordedSlots().contains("gone"));
        assertNoSlotHoldsWalBut("forkrunner_quiet", "forkrunner_busy");
        assertThat(slot("forkrunner_stranger"))
                .as("a slot forkrunner did not make")
                .isNotNull();
    }

    @Test
    void aServiceSwitchedToWalNoneHasItsSlotDroppedAtReloadAndBackupsShowsNone() throws Exception {
        JsonNode before = report("quiet");
        assertThat(before.path("slot").path("name").asText()).isEqualTo("forkrunner_quiet");
        assertThat(before.path("slot").path("exists").asBoolean()).isTrue();
        assertThat(before.path("slot").path("active").asBoolean()).isTrue();
        assertThat(before.path("slot").path("maxRetainedBytes").asLong()).isEqualTo(5L * 1024 * 1024 * 1024);
        assertThat(home.cli("backups", "quiet").out()).contains("replication slot forkrunner_quiet: active, retains");

        synchronized (SlotLifecycleTest.class) {
            services.put("quiet", "{ keep: 2, wal: none }");
            writeServices();
        }

        // the slot goes from the source first, then from forkrunner's records (a failed drop keeps the record)
        await().atMost(Duration.ofSeconds(90))
                .until(() ->
                        slot("forkrunner_quiet") == null && !recordedSlots().contains("quiet"));
        assertThat(report("quiet").path("slot").isNull()).isTrue();
        assertNoSlotHoldsWalBut("forkrunner_gone", "forkrunner_busy");
        assertThat(slot("forkrunner_stranger"))
                .as("a slot forkrunner did not make")
                .isNotNull();
    }

    @Test
    void aSlotHoldingMoreThanMaxRetainedIsDroppedTheGapRecordedNotifiedAndRefusedAndANewSlotAndBackupBegin()
            throws Exception {
        CliResult first = home.cli("backup", "busy");
        assertThat(first.exitCode()).as(first.toString()).isZero();
        String firstBackup = newestBackup(report("busy")).path("id").asText();
        ProcessHandle receiving = pgReceivewalOf("busy");

        stop(receiving); // the archiver consumes nothing: the slot retains what the source writes
        Instant lossBegins = Instant.now();
        for (int i = 0; i < 4; i++) {
            source.sql("insert into orders values (" + i + "); select pg_switch_wal()");
        }

        JsonNode report = await().atMost(Duration.ofSeconds(180))
                .pollInterval(Duration.ofSeconds(1))
                .ignoreExceptions()
                .until(
                        () -> report("busy"),
                        now -> now.path("gaps").size() == 1
                                && !now.path("gaps").path(0).path("to").isNull()
                                && now.path("slot").path("active").asBoolean());
        JsonNode gap = report.path("gaps").path(0);
        Instant gapFrom = Instant.parse(gap.path("from").asText());
        Instant gapTo = Instant.parse(gap.path("to").asText());
        assertThat(gap.path("retainedBytes").asLong()).isGreaterThan(40L * 1024 * 1024);
        assertThat(gap.path("fromPosition").asText()).matches("[0-9A-F]+/[0-9A-F]+");
        assertThat(gapFrom).isBeforeOrEqualTo(lossBegins);
        assertThat(gapTo).isAfter(lossBegins);
        assertThat(receiving.isAlive())
                .as("the stopped pg_receivewal was ended")
                .isFalse();

        // a new slot streams, holding less than the bound; a fresh base backup, taken after the gap began, ends it
        JsonNode fresh = newestBackup(report);
        assertThat(fresh.path("id").asText()).isNotEqualTo(firstBackup);
        assertThat(fresh.path("state").asText()).isEqualTo("VERIFIED");
        assertThat(Instant.parse(fresh.path("endedAt").asText())).isEqualTo(gapTo);
        assertThat(fresh.path("startPosition").asText())
                .isEqualTo(gap.path("toPosition").asText());
        assertThat(report.path("slot").path("retainedBytes").asLong()).isLessThan(40L * 1024 * 1024);
        assertThat(pgReceivewalOf("busy").pid()).isNotEqualTo(receiving.pid());
        assertThat(home.cli("backups", "busy").out()).contains("window gap: forks cannot reach the WAL gap of busy");

        // notified to the service's receiver, through the notifications dispatcher
        JsonNode notification =
                await().atMost(Duration.ofSeconds(60)).until(() -> receiver.first("wal.gap"), body -> body != null);
        assertThat(notification.path("service").asText()).isEqualTo("busy");
        assertThat(notification.path("gapFromPosition").asText())
                .isEqualTo(gap.path("fromPosition").asText());
        assertThat(notification.toString()).doesNotContain(source.password());

        // a fork to a time in the gap is refused naming it
        Instant inGap =
                gapFrom.plus(Duration.between(gapFrom, gapTo).dividedBy(2)).truncatedTo(ChronoUnit.SECONDS);
        assertThat(inGap).isAfter(gapFrom).isBefore(gapTo);
        home.job("across", """
                source: busy
                target:
                  name: across-{run}
                """);
        CliResult fork = home.cli("run", "across", "--at", inGap.toString());
        assertThat(fork.exitCode()).as(fork.toString()).isNotZero();
        assertThat(fork.out() + fork.err())
                .contains("lies in the WAL gap of busy from " + gapFrom)
                .contains(gap.path("fromPosition").asText())
                .contains(gap.path("toPosition").asText());

        // ends with no slot of the service holding WAL: the service stops streaming
        synchronized (SlotLifecycleTest.class) {
            services.put("busy", "{ keep: 3, wal: none }");
            writeServices();
        }
        await().atMost(Duration.ofSeconds(90)).until(() -> slot("forkrunner_busy") == null);
        assertNoSlotHoldsWalBut("forkrunner_gone", "forkrunner_quiet");
    }

    private static ProcessHandle pgReceivewalOf(String service) throws Exception {
        return await().atMost(Duration.ofSeconds(60))
                .ignoreExceptions()
                .until(
                        () -> {
                            long pid;
                            try (Connection connection = home.metadataConnection();
                                    PreparedStatement statement = connection.prepareStatement(
                                            "select pid from wal_archivers where service = ? and state = 'RUNNING'")) {
                                statement.setString(1, service);
                                try (ResultSet row = statement.executeQuery()) {
                                    row.next();
                                    pid = row.getLong(1);
                                }
                            }
                            return ProcessHandle.of(pid)
                                    .orElseThrow()
                                    .descendants()
                                    .filter(process ->
                                            process.info().command().orElse("").endsWith("pg_receivewal"))
                                    .findFirst()
                                    .orElse(null);
                        },
                        handle -> handle != null);
    }

    /** SIGSTOP: the process keeps its connection and its slot, and reads nothing more. */
    private static void stop(ProcessHandle process) throws Exception {
        Process kill = new ProcessBuilder("kill", "-STOP", String.valueOf(process.pid()))
                .inheritIO()
                .start();
        assertThat(kill.waitFor()).isZero();
    }

    /** The slot's restart position and whether it is active; null when the source has no such slot. */
    private static List<String> slot(String name) throws Exception {
        try (Connection connection = source.connect("postgres");
                PreparedStatement statement = connection.prepareStatement(
                        "select restart_lsn::text, active::text from pg_replication_slots where slot_name = ?")) {
            statement.setString(1, name);
            try (ResultSet row = statement.executeQuery()) {
                return row.next() ? java.util.Arrays.asList(row.getString(1), row.getString(2)) : null;
            }
        }
    }

    private static boolean slotActive(String name) throws Exception {
        List<String> slot = slot(name);
        return slot != null && "true".equals(slot.get(1));
    }

    /** No slot on the source keeps WAL, except {@code others}, which other cases of this class may still keep. */
    private static void assertNoSlotHoldsWalBut(String... others) throws Exception {
        List<String> holding = new ArrayList<>();
        try (Connection connection = source.connect("postgres");
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery(
                        "select slot_name from pg_replication_slots where restart_lsn is not null")) {
            while (rows.next()) {
                holding.add(rows.getString(1));
            }
        }
        holding.removeAll(List.of(others));
        assertThat(holding).isEmpty();
    }

    private static List<String> recordedSlots() throws Exception {
        List<String> recorded = new ArrayList<>();
        try (Connection connection = home.metadataConnection();
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("select service from replication_slots")) {
            while (rows.next()) {
                recorded.add(rows.getString(1));
            }
        }
        return recorded;
    }

    private static JsonNode report(String service) {
        CliResult result = home.cli("backups", service, "--json");
        assertThat(result.exitCode()).as(result.toString()).isZero();
        return JSON.readTree(result.out());
    }

    private static JsonNode newestBackup(JsonNode report) {
        JsonNode newest = null;
        for (JsonNode backup : report.path("backups")) {
            if (backup.path("state").asText().equals("VERIFIED")) {
                newest = backup;
            }
        }
        return newest;
    }
}
