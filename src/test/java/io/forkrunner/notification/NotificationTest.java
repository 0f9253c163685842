package io.forkrunner.notification;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.forkrunner.fork.ForkJobs;
import io.forkrunner.testing.CliResult;
import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestHome;
import io.forkrunner.testing.TestSource;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Notifications of real runs, delivered by a real {@code serve} (and by the CLI process that ran the run) to a webhook
 * receiver: on failure, retried until it answers 2xx; on success; when a run takes longer than its threshold, absolute
 * or relative to the job's usual duration. No notification carries a secret.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NotificationTest {

    static final JsonMapper JSON = JsonMapper.builder().build();
    static final int WEBHOOK_PORT = Ports.one();
    static final String CI_TOKEN = "Ci-token-6c1e0b";
    static final List<Delivery> deliveries = new CopyOnWriteArrayList<>();
    static final Map<String, AtomicInteger> callsPerPath = new ConcurrentHashMap<>();
    static TestHome home;
    static TestSource source;
    static HttpServer receiver;
    static Process serve;
    static volatile boolean lateAnswers;

    /** One POST the receiver got, with the status it answered. */
    record Delivery(String path, String id, String body, int status) {

        JsonNode json() {
            return JSON.readTree(body);
        }
    }

    @BeforeAll
    static void sourceServeAndReceiver() throws Exception {
        home = TestHome.create("notifications");
        source = TestSource.start(home, "shop", "Shop-pw-4d7a1");
        source.sql("create database shop");
        try (Connection shop = source.connect("shop");
                Statement statement = shop.createStatement()) {
            statement.execute("create table orders (id int primary key, item text)");
            statement.execute("insert into orders values (1, 'tea')");
        }
        startReceiver();
        String hooks = "http://127.0.0.1:" + WEBHOOK_PORT;
        home.write("var/secrets/ci-token", CI_TOKEN);
        home.write(
                "config/forkrunner.yml",
                home.read("config/forkrunner.yml")
                                .replace(
                                        "  tokens:\n",
                                        "  tokens:\n    - { name: ci, role: operator, secret: \"${file:var/secrets/ci-token}\" }\n")
                        + "runs:\n  lease: 6s\n  sweep-every: 1s\n");
        home.declareServices(Ports.range(50), source.serviceYaml("eu-local", "{ keep: 2, wal: stream }"));
        // the check quotes the source's password, so that its error does: the notification must not
        home.job("doomed", """
                source: shop
                database: shop
                target:
                  name: doomed-{run}
                checks:
                  - select count(*) < 0 from orders where item <> '%2$s'
                notifications:
                  - { on: failure, url: "%1$s/failures" }
                  - { on: success, url: "%1$s/successes" }
                """.formatted(hooks, source.password()));
        home.job("fine", """
                source: shop
                database: shop
                target:
                  name: fine-{run}
                checks:
                  - select count(*) = 1 from orders
                notifications:
                  - { on: success, url: "%1$s/successes" }
                  - { on: failure, url: "%1$s/failures" }
                """.formatted(hooks));
        home.job("slow", """
                source: shop
                target:
                  name: slow-{run}
                integrations:
                  - { type: command, argv: [/bin/sleep, "120"] }
                notifications:
                  - { on: long-running, url: "%s/slow", after: 1s }
                """.formatted(hooks));
        home.job("unproven", """
                source: shop
                target:
                  name: unproven-{run}
                integrations:
                  - { type: command, argv: [/bin/sleep, "120"] }
                notifications:
                  - { on: long-running, url: "%s/slow", after: 1x }
                """.formatted(hooks));
        home.job("usual", """
                source: shop
                target:
                  name: usual-{run}
                integrations:
                  - { type: command, argv: [/bin/sh, -c, "if [ -f %s ]; then exec /bin/sleep 120; fi"] }
                notifications:
                  - { on: long-running, url: "%s/slow", after: 2x }
                """.formatted(home.path("var/slow-down"), hooks));
        home.job("killed", """
                source: shop
                target:
                  name: killed-{run}
                integrations:
                  - { type: command, argv: [/bin/sleep, "120"] }
                notifications:
                  - { on: failure, url: "%s/died" }
                """.formatted(hooks));
        home.job("late", """
                source: shop
                target:
                  name: late-{run}
                notifications:
                  - { on: success, url: "%s/late" }
                """.formatted(hooks));
        serve = home.serveAndBackUp("shop");
    }

    private static void startReceiver() throws Exception {
        receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", WEBHOOK_PORT), 0);
        for (String path : List.of("/failures", "/successes", "/slow", "/late", "/died")) {
            receiver.createContext(path, exchange -> {
                String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                int call = callsPerPath
                        .computeIfAbsent(path, key -> new AtomicInteger())
                        .incrementAndGet();
                boolean refused = path.equals("/failures") && call <= 2 // failures: refused twice
                        || path.equals("/late") && !lateAnswers;
                int status = refused ? 503 : 204;
                deliveries.add(new Delivery(
                        path, exchange.getRequestHeaders().getFirst("X-Forkrunner-Notification"), body, status));
                exchange.sendResponseHeaders(status, -1);
                exchange.close();
            });
        }
        receiver.start();
    }

    @AfterAll
    static void close() {
        if (receiver != null) {
            receiver.stop(0);
        }
        home.close();
    }

    @Test
    void aFailingRunSendsExactlyOneFailureNotificationRetriedUntilTheReceiverAnswers2xx() {
        CliResult result = home.cli("run", "doomed", "--json");
        assertThat(result.exitCode()).as(result.toString()).isEqualTo(1);
        JsonNode run = JSON.readTree(result.out());

        await().atMost(Duration.ofSeconds(60))
                .until(() -> to("/failures").stream().anyMatch(delivery -> delivery.status() == 204));
        // nothing more after the 2xx
        await().during(Duration.ofSeconds(6))
                .atMost(Duration.ofSeconds(10))
                .until(() -> to("/failures").size() == 3);

        List<Delivery> failures = to("/failures");
        assertThat(failures).extracting(Delivery::status).containsExactly(503, 503, 204);
        assertThat(failures)
                .extracting(Delivery::id)
                .doesNotContainNull()
                .containsOnly(failures.get(0).id());
        assertThat(failures)
                .extracting(Delivery::body)
                .containsOnly(failures.get(0).body());
        JsonNode payload = failures.get(0).json();
        assertThat(payload.path("id").asText()).isEqualTo(failures.get(0).id());
        assertThat(payload.path("event").asText()).isEqualTo("run.failed");
        assertThat(payload.path("job").asText()).isEqualTo("doomed");
        assertThat(payload.path("run").asLong()).isEqualTo(run.path("run").asLong());
        assertThat(payload.path("state").asText()).isEqualTo("FAILED");
        assertThat(payload.path("step").asText()).isEqualTo("verify");
        assertThat(payload.path("error").asText())
                .contains("check failed", "select count(*) < 0 from orders", "'******'")
                .doesNotContain(source.password());
        assertThat(payload.path("fork").asText()).isEqualTo(run.path("fork").asText());
        assertThat(payload.path("source").asText()).isEqualTo("shop");
        assertThat(Instant.parse(payload.path("endedAt").asText()))
                .isAfterOrEqualTo(Instant.parse(payload.path("startedAt").asText()));
        assertThat(payload.path("durationSeconds").asLong())
                .isEqualTo(Duration.between(
                                Instant.parse(payload.path("startedAt").asText()),
                                Instant.parse(payload.path("endedAt").asText()))
                        .toSeconds());
        assertThat(to("/successes"))
                .noneMatch(delivery -> delivery.json().path("job").asText().equals("doomed"));
    }

    @Test
    void aCompletingRunSendsOneSuccessNotification() {
        CliResult result = home.cli("run", "fine", "--json");
        assertThat(result.exitCode()).as(result.toString()).isZero();
        JsonNode run = JSON.readTree(result.out());
        long id = run.path("run").asLong();

        await().atMost(Duration.ofSeconds(60)).until(() -> !of("/successes", id).isEmpty());

        List<Delivery> successes = of("/successes", id);
        assertThat(successes).hasSize(1);
        JsonNode payload = successes.get(0).json();
        assertThat(payload.path("event").asText()).isEqualTo("run.succeeded");
        assertThat(payload.path("job").asText()).isEqualTo("fine");
        assertThat(payload.path("state").asText()).isEqualTo("COMPLETED");
        assertThat(payload.path("step").isNull()).isTrue();
        assertThat(payload.path("error").isNull()).isTrue();
        assertThat(payload.path("fork").asText()).isEqualTo(run.path("fork").asText());
        assertThat(payload.path("endedAt").isNull()).isFalse();
        assertThat(of("/failures", id)).isEmpty();
    }

    @Test
    void aRunLongerThanItsThresholdIsNotifiedOnceAndAJobWithoutACompletedRunHasNoUsualDuration() throws Exception {
        long unproven = startRun("unproven");
        long slow = startRun("slow");

        await().atMost(Duration.ofSeconds(60)).until(() -> !of("/slow", slow).isEmpty());

        JsonNode payload = of("/slow", slow).get(0).json();
        assertThat(payload.path("event").asText()).isEqualTo("run.long-running");
        assertThat(payload.path("job").asText()).isEqualTo("slow");
        assertThat(payload.path("state").asText()).isEqualTo("STARTED");
        assertThat(payload.path("step").asText()).as("the step running then").isIn(ForkJobs.STEPS);
        assertThat(payload.path("threshold").asText()).isEqualTo("1s");
        assertThat(payload.path("endedAt").isNull()).isTrue();
        assertThat(payload.path("durationSeconds").asLong()).isGreaterThanOrEqualTo(1);
        // a sweep saw both runs running: the job with no completed run has no usual duration to exceed
        assertThat(recorded(unproven)).isZero();

        stop(slow);
        stop(unproven);
        assertThat(of("/slow", slow)).hasSize(1);
        assertThat(recorded(slow)).isEqualTo(1);
        assertThat(recorded(unproven)).isZero();
    }

    @Test
    void aRunLongerThanTwiceTheUsualDurationIsNotified() {
        CliResult quick = home.cli("run", "usual", "--json");
        assertThat(quick.exitCode()).as(quick.toString()).isZero();
        home.write("var/slow-down", "yes");
        long slow = startRun("usual");

        await().atMost(Duration.ofSeconds(90)).until(() -> !of("/slow", slow).isEmpty());

        JsonNode payload = of("/slow", slow).get(0).json();
        assertThat(payload.path("event").asText()).isEqualTo("run.long-running");
        assertThat(payload.path("job").asText()).isEqualTo("usual");
        assertThat(payload.path("threshold").asText()).isEqualTo("2x");
        assertThat(payload.path("usualSeconds").isNumber()).isTrue();
        long usual = payload.path("usualSeconds").asLong();
        assertThat(payload.path("thresholdSeconds").asLong())
                .isBetween(2 * usual, 2 * (usual + 1))
                .isLessThanOrEqualTo(payload.path("durationSeconds").asLong());
        stop(slow);
    }

    @Test
    void aRunWhoseProcessDiedIsNotifiedAsFailedOnceTheClusterFindsItDead() {
        Process runner = home.start("killed", Map.of(), "run", "killed");
        long run = startedRun("killed");
        List<ProcessHandle> children = runner.descendants().toList();
        runner.destroyForcibly(); // kill -9: no listener runs
        children.forEach(ProcessHandle::destroyForcibly);

        await().atMost(Duration.ofSeconds(90)).until(() -> !of("/died", run).isEmpty());

        List<Delivery> died = of("/died", run);
        assertThat(died).hasSize(1);
        JsonNode payload = died.get(0).json();
        assertThat(payload.path("event").asText()).isEqualTo("run.failed");
        assertThat(payload.path("job").asText()).isEqualTo("killed");
        assertThat(payload.path("state").asText()).isEqualTo("FAILED");
        assertThat(payload.path("step").asText()).isEqualTo("reapply-integrations");
        assertThat(payload.path("error").asText()).contains("the process running it died");
    }

    @Test
    @Order(Integer.MAX_VALUE - 1)
    void aPendingNotificationSurvivesTheDeathOfServeAndTheNextServeDeliversIt() throws Exception {
        CliResult result = home.cli("run", "late", "--json");
        assertThat(result.exitCode()).as(result.toString()).isZero();
        long run = JSON.readTree(result.out()).path("run").asLong();
        await().atMost(Duration.ofSeconds(30)).until(() -> of("/late", run).size() >= 2); // the CLI's, then serve's
        serve.destroyForcibly(); // kill -9
        assertThat(serve.waitFor(30, TimeUnit.SECONDS)).isTrue();
        lateAnswers = true;

        serve = home.start("serve-again", Map.of(), "serve");

        await().atMost(Duration.ofSeconds(90))
                .until(() -> of("/late", run).stream().anyMatch(delivery -> delivery.status() == 204));
        List<Delivery> late = of("/late", run);
        assertThat(late).extracting(Delivery::id).containsOnly(late.get(0).id());
        assertThat(late).extracting(Delivery::status).containsOnlyOnce(204).endsWith(204);
    }

    @Test
    @Order(Integer.MAX_VALUE)
    void noNotificationHoldsASecret() throws Exception {
        assertThat(deliveries).isNotEmpty();
        List<String> bodies =
                new ArrayList<>(deliveries.stream().map(Delivery::body).toList());
        try (Connection metadata = home.metadataConnection();
                Statement statement = metadata.createStatement();
                ResultSet rows = statement.executeQuery("select body from notifications")) {
            while (rows.next()) {
                bodies.add(rows.getString(1));
            }
        }
        List<String> secrets =
                new ArrayList<>(List.of(source.password(), CI_TOKEN, TestHome.OPERATOR_TOKEN, TestHome.VIEWER_TOKEN));
        if (home.metadata().password() != null) {
            secrets.add(home.metadata().password());
        }
        for (String secret : secrets) {
            assertThat(bodies).noneMatch(body -> body.contains(secret));
        }
    }

    // ---- helpers

    private static List<Delivery> to(String path) {
        return deliveries.stream()
                .filter(delivery -> delivery.path().equals(path))
                .toList();
    }

    private static List<Delivery> of(String path, long run) {
        return to(path).stream()
                .filter(delivery -> delivery.json().path("run").asLong() == run)
                .toList();
    }

    /** Launches a run of {@code job} in a process of its own; returns it once it is in its integrations step. */
    private static long startRun(String job) {
        home.start(job + "-" + System.nanoTime(), Map.of(), "run", job);
        return startedRun(job);
    }

    /** The run of {@code job} that is in its integrations step, once it is. */
    private static long startedRun(String job) {
        return await().atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(500))
                .ignoreExceptions()
                .until(
                        () -> {
                            for (JsonNode run :
                                    JSON.readTree(home.cli("status", "--json").out())) {
                                if (run.path("job").asText().equals(job)
                                        && run.path("state").asText().equals("STARTED")) {
                                    for (JsonNode step : run.path("steps")) {
                                        if (step.path("name").asText().equals("reapply-integrations")
                                                && step.path("state").asText().equals("STARTED")) {
                                            return run.path("run").asLong();
                                        }
                                    }
                                }
                            }
                            return null;
                        },
                        run -> run != null);
    }

    private static void stop(long run) {
        CliResult stopped = home.cli("stop", String.valueOf(run));
        assertThat(stopped.exitCode()).as(stopped.toString()).isZero();
    }

    /** How many notifications were recorded for the run. */
    private static int recorded(long run) throws Exception {
        try (Connection metadata = home.metadataConnection();
                Statement statement = metadata.createStatement();
                ResultSet row = statement.executeQuery("select count(*) from notifications where run_id = " + run)) {
            row.next();
            return row.getInt(1);
        }
    }
}
