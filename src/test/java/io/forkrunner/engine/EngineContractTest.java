package io.forkrunner.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkrunner.testing.CliResult;
import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestHome;
import io.forkrunner.testing.WebhookReceiver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What every engine must do, through the command line of real forkrunner processes against real servers: back a
 * source up; with point-in-time recovery, keep a window that reaches past a chosen time and fork to that time with
 * exactly the records written by then, without it fork the newest backup with exactly the records it holds; either
 * way the run killed while it lays the backup down and restarted from its restore step; the fork's users equal the
 * source's, and a user logs in to it with the source's password (an engine without users says so); the source's non-default setting holds on the fork;
 * dropping the fork leaves nothing of it; where the engine asks it, a fork made on a schedule under {@code serve} is
 * shown through the API and dropped by its retention. Each engine's test class extends this one and says how to start a source of
 * its own and speak to it (write and read records, create a reader, set and read a setting, list users); the tests
 * run in order on one source.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
public abstract class EngineContractTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String SERVICE = "origin";
    private static final String JOB = "origin";
    private static final String READER_PASSWORD = "Reader-pw-7c1d";
    private static final int BATCH = 400;

    /** A source server a test started. */
    protected interface Source {

        /** How forkrunner's clients log in to it as its administrator. */
        Endpoint admin();

        /** Its declaration as service {@code name} under {@code services:} of services.yml, with these backups. */
        String serviceYaml(String name, String region, String backups);

        /** Stops it, unless the home stops it at close. */
        default void stop() {}
    }

    /** Starts a source server of this engine in {@code home}, as service {@code name}; the home stops it at close. */
    protected abstract Source startSource(TestHome home, String name);

    /**
     * Whether the engine forks to any time of a window its services' change archive covers ({@code wal: stream});
     * without it, a fork holds the newest backup taken by then.
     */
    protected boolean pointInTime() {
        return true;
    }

    /**
     * Whether the engine has users that forks carry; without, the fork's copy-users step says it is not applicable to
     * the engine.
     */
    protected boolean hasUsers() {
        return true;
    }

    /**
     * Whether the contract also forks the source on a schedule under {@code serve}, through the API, with a retention:
     * for the engines whose issues ask it (PostgreSQL's schedules, API and retention are tested on their own, in
     * {@code schedule/} and {@code api/}; that code does not differ by engine, the forks it makes and drops do).
     */
    protected boolean scheduledInContract() {
        return false;
    }

    /** What the scheduled job says besides its source, target, schedule and retention (e.g. {@code sso: later}). */
    protected String scheduledJobYaml() {
        return "";
    }

    /**
     * Checks the scheduled job's fork as its {@link #scheduledJobYaml} makes it, while it lives, at {@code fork} as the
     * source's administrator, and the source's reader with its password at {@code reader}.
     */
    protected void checkScheduledFork(Endpoint fork, Endpoint reader) throws Exception {}

    /** Whether the fork's restore-data step is laying its backup down, as {@code status --json} shows the step. */
    protected boolean layingDown(JsonNode step) {
        return TestHome.layingDown(step);
    }

    /** The backups of the source's declaration in services.yml. */
    protected String backupsYaml() {
        return pointInTime() ? "{ keep: 3, wal: stream }" : "{ keep: 3 }";
    }

    /** The database the job forks, holding the records; null when the engine's jobs name none. */
    protected abstract String database();

    /** Makes, on the source, the place the records go (e.g. a database with a table), holding none yet. */
    protected abstract void createRecordStore(Endpoint admin) throws Exception;

    /** Writes the records {@code from} to {@code to} (ids, both included) to the source, each noted {@link #note}. */
    protected abstract void insert(Endpoint admin, int from, int to) throws Exception;

    /** Every record of the server, as {@code id|note}, in any order. */
    protected abstract List<String> records(Endpoint server) throws Exception;

    /** Creates on the source the login user {@code reader}, with {@code password}, who may read the records. */
    protected abstract void createReader(Endpoint admin, String password) throws Exception;

    /** How many records {@code reader}, logged in with its password, reads from the server. */
    protected abstract int readerReads(Endpoint reader) throws Exception;

    /** A setting the source is given with a value other than its default. */
    protected abstract Map.Entry<String, String> nonDefaultSetting();

    /** Gives the server setting {@code name} the value {@code value}, as the server's administrator would. */
    protected abstract void setSetting(Endpoint admin, String name, String value) throws Exception;

    /** The value of a setting as the server reports it. */
    protected abstract String readSetting(Endpoint admin, String name) throws Exception;

    /** The server's users, each with what grants it (e.g. its memberships, its rules), as comparable strings. */
    protected abstract SortedSet<String> users(Endpoint admin) throws Exception;

    /** The note of record {@code id}: not only ASCII. */
    protected static String note(int id) {
        return "note " + id + " ünïcödé";
    }

    private TestHome home;
    private Source source;
    private Instant target;
    private int recordsAtTarget;
    private String forkName;
    private long run;

    @BeforeAll
    void startSourceWithUsersAndSettings() throws Exception {
        home = TestHome.create("contract-"
                + getClass().getSimpleName().replace("ContractTest", "").toLowerCase());
        source = startSource(home, SERVICE);
        createRecordStore(source.admin());
        Map.Entry<String, String> setting = nonDefaultSetting();
        setSetting(source.admin(), setting.getKey(), setting.getValue());
        if (hasUsers()) {
            createReader(source.admin(), READER_PASSWORD);
        }
        home.addSettings("""
                runs:
                  lease: 6s
                  copy-rate: 4MB
                  sweep-every: 2s
                """);
        home.declareServices(Ports.range(10), source.serviceYaml(SERVICE, "eu-local", backupsYaml()));
        home.job(JOB, """
                source: %s
                %starget:
                  name: origin-{run}
                """.formatted(SERVICE, database() == null ? "" : "database: " + database() + "\n"));
    }

    @AfterAll
    void close() {
        try {
            if (source != null) {
                source.stop();
            }
        } finally {
            home.close();
        }
    }

    /**
     * With point in time, a window reaching past a time between the second and third batches; without, a second batch
     * written after the backup.
     */
    @Test
    @Order(1)
    void aBackupIsTakenVerifiedAndTheTimeToForkFallsBetweenTwoBatches() throws Exception {
        insert(source.admin(), 1, BATCH);
        if (pointInTime()) {
            home.serveAndBackUp(SERVICE);
        } else {
            home.backUp(SERVICE);
        }
        JsonNode backups = JSON.readTree(home.cli("backups", SERVICE, "--json").out());
        assertThat(backups.path("backups")).hasSize(1);
        assertThat(backups.path("backups").path(0).path("state").asText()).isEqualTo("VERIFIED");

        insert(source.admin(), BATCH + 1, 2 * BATCH);
        if (!pointInTime()) {
            recordsAtTarget = BATCH; // the second batch, written after the only backup, is in no fork
            return;
        }
        recordsAtTarget = 2 * BATCH;
        // one second apart on either side: some engines replay to a time of whole seconds
        target = Clock.systemUTC().instant().truncatedTo(ChronoUnit.SECONDS).plusSeconds(1);
        Awaitility.await()
                .atMost(Duration.ofSeconds(5))
                .until(() -> Instant.now().isAfter(target.plusMillis(1100)));
        insert(source.admin(), 2 * BATCH + 1, 3 * BATCH);
        Instant afterLastBatch = Instant.now();

        JsonNode window = Awaitility.await()
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(500))
                .until(
                        () -> JSON.readTree(
                                        home.cli("backups", SERVICE, "--json").out())
                                .path("window"),
                        found -> !found.path("to").isMissingNode()
                                && !found.path("to").isNull()
                                && Instant.parse(found.path("to").asText()).isAfter(target));
        assertThat(Instant.parse(window.path("from").asText())).isBefore(target);
        assertThat(Instant.parse(window.path("to").asText())).isBefore(afterLastBatch.plusSeconds(1));
    }

    /**
     * With point in time, the run forks to the time between the second and third batches, holding the first two;
     * without, the latest, the only backup, holding the first batch and not the second.
     */
    @Test
    @Order(2)
    void aForkToTheTimeKilledWhileLayingDownResumesFromItsRestoreStepAndHoldsExactlyTheRecordsWrittenByThen()
            throws Exception {
        Process runner = pointInTime()
                ? home.start("contract-run", Map.of(), "run", JOB, "--at", target.toString())
                : home.start("contract-run", Map.of(), "run", JOB);
        JsonNode running = Awaitility.await()
                .atMost(Duration.ofSeconds(180))
                .pollInterval(Duration.ofMillis(300))
                .ignoreExceptions()
                .until(() -> home.runRestoring(JOB, this::layingDown), node -> node != null);
        runner.destroyForcibly(); // kill -9
        assertThat(runner.waitFor(30, TimeUnit.SECONDS)).isTrue();
        run = running.path("run").asLong();

        CliResult restarted = home.restartOnceReleased(run);
        assertThat(restarted.exitCode()).as(restarted.toString()).isZero();
        JsonNode finished = JSON.readTree(restarted.out());
        assertThat(finished.path("state").asText()).isEqualTo("COMPLETED");
        assertThat(home.executionsPerStep(run)).contains("pick-backup|1", "provision|1", "restore-data|2", "verify|1");
        forkName = finished.path("fork").asText();
        assertThat(forkName).isEqualTo(running.path("fork").asText());

        List<String> onSource = sorted(records(source.admin()));
        assertThat(onSource).hasSize((pointInTime() ? 3 : 2) * BATCH);
        List<String> expected = onSource.stream()
                .filter(record -> id(record) <= recordsAtTarget)
                .toList();
        assertThat(expected).hasSize(recordsAtTarget);
        assertThat(sorted(records(fork(source.admin())))).isEqualTo(expected);
    }

    @Test
    @Order(3)
    void theForksUsersAreTheSourcesAndLogInWithTheSourcesPasswords() throws Exception {
        if (!hasUsers()) {
            JsonNode status = JSON.readTree(
                    home.cli("status", String.valueOf(run), "--json").out());
            assertThat(TestHome.step(status, "copy-users-and-pools")
                            .path("report")
                            .toString())
                    .contains("not applicable to");
            return;
        }
        SortedSet<String> sourceUsers = users(source.admin());
        assertThat(sourceUsers).anyMatch(user -> user.contains("reader"));
        assertThat(users(fork(source.admin()))).isEqualTo(sourceUsers);
        Endpoint reader = new Endpoint(
                "127.0.0.1", home.forkPort(forkName), "reader", new io.forkrunner.system.Secret(READER_PASSWORD));
        assertThat(readerReads(reader)).isEqualTo(recordsAtTarget);
    }

    @Test
    @Order(4)
    void theSourcesNonDefaultSettingHoldsOnTheFork() throws Exception {
        Map.Entry<String, String> setting = nonDefaultSetting();
        assertThat(readSetting(source.admin(), setting.getKey())).isEqualTo(setting.getValue());
        assertThat(readSetting(fork(source.admin()), setting.getKey())).isEqualTo(setting.getValue());
    }

    @Test
    @Order(5)
    void droppingTheForkLeavesNothingOfIt() throws Exception {
        JsonNode record = forkRecord(forkName);
        int port = record.path("port").asInt();
        Path directory = home.path("var/regions/eu").resolve(forkName);
        assertThat(directory).isDirectory();

        CliResult dropped = home.cli("drop", forkName);
        assertThat(dropped.exitCode()).as(dropped.toString()).isZero();
        assertThat(Files.exists(directory)).isFalse();
        assertThat(JSON.readTree(home.cli("forks", "--json").out()).findValuesAsString("name"))
                .doesNotContain(forkName);
        assertThat(ProcessHandle.allProcesses()
                        .map(process -> process.info().commandLine().orElse(""))
                        .filter(line -> line.contains(directory.toString())))
                .isEmpty();
        // a server may replace its command line (Redis shows its address): where it works tells it too
        assertThat(ProcessHandle.allProcesses()
                        .filter(process -> worksIn(process, directory))
                        .map(process -> process.pid() + " "
                                + process.info().commandLine().orElse("")))
                .isEmpty();
        assertThat(listening(port))
                .as("something still listens on the fork's port " + port)
                .isFalse();
    }

    /**
     * {@code serve} forks the job when its schedule fires (from a backup taken now when the engine's own tests left
     * none); the API pauses the schedule, stops the run while it restores and restarts it, which completes it from its
     * checkpoint; its webhook, prometheus and command integrations tell of the fork and its notification of the run; the
     * API lists the run and its fork and counts the run in the metrics; the sweep drops the fork once its
     * {@code retention.ttl} is over, and nothing of it is left.
     */
    @Test
    @Order(20) // after every other test of the engine's class
    void serveForksOnScheduleTheApiStopsAndRestartsTheRunIntegrationsTellOfTheForkAndItsTtlDropsIt() throws Exception {
        Assumptions.assumeTrue(scheduledInContract(), "schedules, API and retention are tested apart for this engine");
        if (!home.cli("backups", SERVICE, "--json").out().contains("\"VERIFIED\"")) {
            home.backUp(SERVICE); // the engine's own tests used up or damaged the earlier ones
        }
        Path commandSaw = home.path("var/command-saw");
        try (WebhookReceiver hooks = WebhookReceiver.start()) {
            home.job("nightly", """
                    source: %s
                    %starget:
                      name: nightly-{run}
                    schedule:
                      cron: "*/5 * * * * ?"
                    retention:
                      ttl: 20s
                    integrations:
                      - { type: webhook, url: "%s" }
                      - { type: prometheus, file: var/prometheus/nightly.json }
                      - { type: command, argv: ["sh", "-c", "echo $FORK_NAME $FORK_PORT > %s"] }
                    notifications:
                      - { on: success, url: "%s" }
                    %s""".formatted(
                            SERVICE,
                            database() == null ? "" : "database: " + database() + "\n",
                            hooks.url("/forks"),
                            commandSaw,
                            hooks.url("/runs"),
                            scheduledJobYaml()));
            Process serve = home.start("serve-scheduled", Map.of(), "serve");
            try {
                String api = home.apiBase("serve-scheduled");
                long fired = Awaitility.await()
                        .atMost(Duration.ofSeconds(120))
                        .pollInterval(Duration.ofMillis(500))
                        .until(() -> api(api, "GET", "/api/runs?job=nightly"), runs -> !runs.isEmpty())
                        .path(0)
                        .path("run")
                        .asLong();
                api(api, "POST", "/api/schedules/nightly/pause");
                // stopped through the API while it restores, then restarted there from its checkpoint
                Awaitility.await()
                        .atMost(Duration.ofSeconds(180))
                        .pollInterval(Duration.ofMillis(200))
                        .until(() -> layingDown(TestHome.step(api(api, "GET", "/api/runs/" + fired), "restore-data")));
                api(api, "POST", "/api/runs/" + fired + "/stop");
                JsonNode stopped = ended(api, fired, 1);
                assertThat(stopped.path("state").asText())
                        .as(stopped.toString())
                        .isEqualTo("STOPPED");
                assertThat(TestHome.step(stopped, "restore-data").path("state").asText())
                        .isEqualTo("STOPPED");
                api(api, "POST", "/api/runs/" + fired + "/restart");
                JsonNode completed = ended(api, fired, 2);
                assertThat(completed.path("state").asText())
                        .as(completed.toString())
                        .isEqualTo("COMPLETED");
                assertThat(completed.path("executions").asInt()).isEqualTo(2);
                assertThat(home.executionsPerStep(fired)).contains("pick-backup|1", "provision|1", "restore-data|2");
                String fork = completed.path("fork").asText();
                // read through the API at once (a CLI's JVM may take seconds on a loaded machine): the ttl runs
                JsonNode listed = null;
                for (JsonNode view : api(api, "GET", "/api/forks")) {
                    if (view.path("fork").path("name").asText().equals(fork)) {
                        listed = view;
                    }
                }
                assertThat(listed).as("the API lists fork " + fork).isNotNull();
                assertThat(listed.path("secondsToLive").asLong()).isBetween(0L, 20L);
                int port = listed.path("fork").path("port").asInt();
                checkScheduledFork(
                        new Endpoint(
                                "127.0.0.1",
                                port,
                                source.admin().user(),
                                source.admin().password()),
                        new Endpoint("127.0.0.1", port, "reader", new io.forkrunner.system.Secret(READER_PASSWORD)));
                assertThat(api(api, "GET", "/api/jobs/nightly")
                                .path("schedule")
                                .path("state")
                                .asText())
                        .isEqualTo("PAUSED");
                Path directory = home.path("var/regions/eu").resolve(fork);
                assertThat(directory).isDirectory();

                // the integrations told of the fork, and the notification of the run
                JsonNode ready = hooks.first("fork.ready");
                assertThat(ready).as("the webhook integration's POST").isNotNull();
                assertThat(ready.path("fork").asText()).isEqualTo(fork);
                assertThat(ready.path("server").path("port").asInt()).isEqualTo(port);
                JsonNode targets = JSON.readTree(home.read("var/prometheus/nightly.json"));
                assertThat(targets.path(0).path("labels").path("fork").asText()).isEqualTo(fork);
                assertThat(targets.path(0).path("targets").path(0).asText()).isEqualTo("127.0.0.1:" + port);
                assertThat(Files.readString(commandSaw).strip()).isEqualTo(fork + " " + port);
                JsonNode notified = Awaitility.await()
                        .atMost(Duration.ofSeconds(60))
                        .until(() -> hooks.first("run.succeeded"), body -> body != null);
                assertThat(notified.path("run").asLong()).isEqualTo(fired);

                Awaitility.await()
                        .atMost(Duration.ofSeconds(120))
                        .pollInterval(Duration.ofSeconds(1))
                        .until(() -> !api(api, "GET", "/api/forks")
                                .findValuesAsString("name")
                                .contains(fork));
                assertThat(home.read("var/log/serve-scheduled.out")).contains("dropped fork " + fork);
                assertThat(directory).doesNotExist();
                assertThat(ProcessHandle.allProcesses()
                                .map(process -> process.info().commandLine().orElse(""))
                                .filter(line -> line.contains(directory.toString())))
                        .isEmpty();
                String metrics = call(api, "GET", "/actuator/prometheus").body();
                assertThat(metrics).contains("forkrunner_runs_total{job=\"nightly\",result=\"COMPLETED\"}");
            } finally {
                serve.destroy();
                assertThat(serve.waitFor(120, TimeUnit.SECONDS)).isTrue();
            }
        }
    }

    // ---- helpers

    /** Run {@code run} as the API shows it once its {@code executions}-th execution and each of its steps ended. */
    private static JsonNode ended(String api, long run, int executions) {
        return Awaitility.await()
                .atMost(Duration.ofSeconds(300))
                .pollInterval(Duration.ofMillis(500))
                .until(
                        () -> api(api, "GET", "/api/runs/" + run),
                        shown -> shown.path("executions").asInt() == executions
                                && !shown.path("endedAt").isNull()
                                && shown.findValuesAsString("state").stream()
                                        .noneMatch(state -> state.matches("STARTING|STARTED|STOPPING")));
    }

    /** The JSON the API at {@code base} answers with 2xx to {@code method path}, asked with the operator's token. */
    private static JsonNode api(String base, String method, String path) throws Exception {
        HttpResponse<String> response = call(base, method, path);
        assertThat(response.statusCode())
                .as(method + " " + path + ": " + response.body())
                .isBetween(200, 299);
        return JSON.readTree(response.body());
    }

    private static HttpResponse<String> call(String base, String method, String path) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create(base + path))
                        .timeout(Duration.ofSeconds(60))
                        .header("Authorization", "Bearer " + TestHome.OPERATOR_TOKEN)
                        .method(method, HttpRequest.BodyPublishers.noBody())
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Records {@code id|note} in order of id. */
    private static List<String> sorted(List<String> records) {
        return records.stream()
                .sorted(Comparator.comparingInt(EngineContractTest::id))
                .toList();
    }

    private static int id(String record) {
        return Integer.parseInt(record.substring(0, record.indexOf('|')));
    }

    protected Source source() {
        return source;
    }

    protected TestHome home() {
        return home;
    }

    /** The run that made the fork: killed, then restarted. */
    protected long forkRun() {
        return run;
    }

    /** The status of the run that made the fork, as {@code status RUN --json} prints it. */
    protected JsonNode forkRunStatus() {
        return JSON.readTree(home.cli("status", String.valueOf(run), "--json").out());
    }

    /** What the restore-data step of the run that made the fork said of the fork against its backup. */
    protected String comparedWithBackup() {
        return TestHome.step(forkRunStatus(), "restore-data")
                .path("report")
                .path("compared-with-backup")
                .asText();
    }

    /** The fork, logged in to as the source's administrator (the fork carries the source's users). */
    protected Endpoint fork(Endpoint sourceAdmin) {
        return new Endpoint("127.0.0.1", home.forkPort(forkName), sourceAdmin.user(), sourceAdmin.password());
    }

    private JsonNode forkRecord(String name) {
        for (JsonNode record : JSON.readTree(home.cli("forks", "--json").out())) {
            if (record.path("name").asText().equals(name)) {
                return record;
            }
        }
        throw new AssertionError("no fork " + name + " is registered");
    }

    /** Whether the working directory of {@code process} lies under {@code directory} (false once it has ended). */
    private static boolean worksIn(ProcessHandle process, Path directory) {
        try {
            return Files.readSymbolicLink(Path.of("/proc", String.valueOf(process.pid()), "cwd"))
                    .startsWith(directory.toAbsolutePath());
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    private static boolean listening(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress("127.0.0.1", port));
            return false;
        } catch (IOException taken) {
            return true;
        }
    }
}
