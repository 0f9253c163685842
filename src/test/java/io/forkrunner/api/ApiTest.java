package io.forkrunner.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestHome;
import io.forkrunner.testing.TestSource;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The REST API of a real {@code serve}, with real runs of a real source, and its metrics. */
class ApiTest {

    static final JsonMapper JSON = JsonMapper.builder().build();
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final List<String> BODIES = new ArrayList<>();
    static TestHome home;
    static TestSource source;
    static String base;
    static Instant backupStarted;
    static Ports.Range ports;

    @BeforeAll
    static void serve() throws Exception {
        home = TestHome.create("api");
        source = TestSource.start(home, "shop", "Shop-pw-a91f");
        source.sql("create role app login password 'App-pw-3e'");
        source.sql("create database shop owner app");
        ports = Ports.range(30);
        home.declareServices(ports, source.serviceYaml("eu-local", "{ keep: 2, wal: stream }") + TestSource.appPool(4));
        home.job("copy", """
                source: shop
                target:
                  name: copy-{run}
                retention:
                  keep: 2
                """);
        home.job("broken", """
                source: shop
                target:
                  name: broken-{run}
                checks:
                  - select false
                """);
        home.job("ticker", """
                source: shop
                target:
                  name: ticker-{run}
                schedule:
                  cron: "*/5 * * * * ?"
                  zone: UTC
                retention:
                  keep: 1
                """);
        home.start("serve", Map.of(), "serve");
        String log = await().atMost(Duration.ofSeconds(90))
                .ignoreExceptions()
                .until(() -> home.read("var/log/serve.out"), text -> text.contains("dashboard on http://"));
        Matcher port =
                Pattern.compile("dashboard on (http://127\\.0\\.0\\.1:\\d+)/").matcher(log);
        assertThat(port.find()).isTrue();
        base = port.group(1);
        backupStarted = Instant.now();
        home.backUp("shop");
        await().atMost(Duration.ofSeconds(60))
                .until(() -> home.read("var/log/serve.out").contains("schedule of ticker fired"));
        assertThat(call("POST", "/api/schedules/ticker/pause", TestHome.OPERATOR_TOKEN, null)
                        .statusCode())
                .isEqualTo(204);
    }

    @AfterAll
    static void close() {
        home.close();
    }

    @Test
    void everyActionAnswers401WithoutATokenAnd403WithAViewerToken() throws Exception {
        List<String[]> actions = List.of(
                new String[] {"POST", "/api/jobs/copy/runs"},
                new String[] {"POST", "/api/runs/1/restart"},
                new String[] {"POST", "/api/runs/1/stop"},
                new String[] {"DELETE", "/api/forks/copy-1"},
                new String[] {"POST", "/api/schedules/ticker/pause"},
                new String[] {"POST", "/api/schedules/ticker/resume"});
        for (String[] action : actions) {
            HttpResponse<String> anonymous = call(action[0], action[1], null, null);
            assertThat(anonymous.statusCode()).as(action[0] + " " + action[1]).isEqualTo(401);
            assertThat(anonymous.headers().firstValue("Content-Type").orElse(""))
                    .startsWith("application/problem+json");
            assertThat(call(action[0], action[1], TestHome.VIEWER_TOKEN, null).statusCode())
                    .as(action[0] + " " + action[1])
                    .isEqualTo(403);
        }
        for (String read : List.of("/api/jobs", "/api/runs", "/api/forks", "/api/services", "/api/schedules")) {
            assertThat(call("GET", read, null, null).statusCode()).as(read).isEqualTo(401);
            assertThat(call("GET", read, "not-a-token", null).statusCode())
                    .as(read)
                    .isEqualTo(401);
            assertThat(call("GET", read, TestHome.VIEWER_TOKEN, null).statusCode())
                    .as(read)
                    .isEqualTo(200);
        }
    }

    @Test
    void aRunLaunchedThroughTheApiCompletesAndEveryReadShowsIt() throws Exception {
        Instant launchedAt = Instant.now();
        HttpResponse<String> launched = call("POST", "/api/jobs/copy/runs", TestHome.OPERATOR_TOKEN, "{}");
        assertThat(launched.statusCode()).as(launched.body()).isEqualTo(202);
        long run = JSON.readTree(launched.body()).path("run").asLong();
        JsonNode done = awaitState(run, "COMPLETED");
        assertThat(done.path("steps"))
                .hasSize(8)
                .allMatch(step -> step.path("state").asText().equals("COMPLETED"));
        assertThat(done.path("steps").path(2).path("durationMillis").asLong())
                .isBetween(1L, Duration.between(launchedAt, Instant.now()).toMillis());
        String fork = done.path("fork").asText();
        // the CLI shows the same views: JSON for machines, a table for people
        JsonNode viaApi = get("/api/runs/" + run);
        assertThat(JSON.readTree(
                        home.cli("status", String.valueOf(run), "--json").out()))
                .isEqualTo(viaApi);
        List<Long> runs = new ArrayList<>();
        JSON.readTree(home.cli("status", "--json").out())
                .forEach(each -> runs.add(each.path("run").asLong()));
        assertThat(runs).contains(run);

        String table = home.cli("status", String.valueOf(run)).out();
        for (JsonNode step : viaApi.path("steps")) {
            assertThat(table).contains(step.path("name").asText());
        }

        JsonNode jobs = get("/api/jobs");

        assertThat(jobs.findValuesAsString("name")).contains("copy", "broken", "ticker");
        JsonNode copy = get("/api/jobs/copy");
        assertThat(copy.path("lastRun").path("run").asLong()).isEqualTo(run);
        assertThat(get("/api/jobs/ticker").path("schedule").path("state").asText())
                .isEqualTo("PAUSED");
        assertThat(get("/api/runs?job=copy&state=COMPLETED").findValuesAsString("job"))
                .containsOnly("copy");
        JsonNode forks = get("/api/forks");
        JsonNode listed = null;
        for (JsonNode each : forks) {
            if (each.path("fork").path("name").asText().equals(fork)) {
                listed = each;
            }
        }
        assertThat(listed).isNotNull();
        assertThat(listed.path("fork").path("port").asInt()).isBetween(ports.first(), ports.last());
        assertThat(listed.path("fork").path("poolPort").asInt()).isBetween(ports.first(), ports.last());
        assertThat(listed.path("ageSeconds").asLong())
                .isBetween(0L, Duration.between(launchedAt, Instant.now()).toSeconds() + 1);
        JsonNode services = get("/api/services");
        assertThat(services.path(0).path("name").asText()).isEqualTo("shop");
        assertThat(services.path(0).has("password")).isFalse();
        JsonNode backups = get("/api/services/shop/backups");
        assertThat(backups.path("backups").path(0).path("state").asText()).isEqualTo("VERIFIED");
        assertThat(backups.path("window").path("from").asText()).isNotEmpty();
        JsonNode schedules = get("/api/schedules");
        assertThat(schedules.path(0).path("schedule").path("job").asText()).isEqualTo("ticker");
        assertThat(schedules.path(0).path("lastRun").path("job").asText()).isEqualTo("ticker");

        HttpResponse<String> stopDone = call("POST", "/api/runs/" + run + "/stop", TestHome.OPERATOR_TOKEN, null);
        assertThat(stopDone.statusCode()).as("a run that is not running").isEqualTo(409);
        assertThat(call("DELETE", "/api/forks/" + fork, TestHome.OPERATOR_TOKEN, null)
                        .statusCode())
                .isEqualTo(204);
        assertThat(get("/api/forks").findValuesAsString("name")).doesNotContain(fork);
        assertThat(call("DELETE", "/api/forks/" + fork, TestHome.OPERATOR_TOKEN, null)
                        .statusCode())
                .isEqualTo(404);
    }

    @Test
    void aFailedRunRestartsThroughTheApiAndErrorsAreProblems() throws Exception {
        long run = JSON.readTree(call("POST", "/api/jobs/broken/runs", TestHome.OPERATOR_TOKEN, null)
                        .body())
                .path("run")
                .asLong();
        JsonNode failed = awaitState(run, "FAILED");
        assertThat(failed.path("error").asText()).contains("check failed");
        HttpResponse<String> restarted = call("POST", "/api/runs/" + run + "/restart", TestHome.OPERATOR_TOKEN, null);
        assertThat(restarted.statusCode()).as(restarted.body()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(60))
                .until(() -> get("/api/runs/" + run).path("executions").asInt() == 2
                        && get("/api/runs/" + run).path("state").asText().equals("FAILED"));

        HttpResponse<String> missing = call("GET", "/api/runs/999999", TestHome.VIEWER_TOKEN, null);
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
        assertThat(JSON.readTree(missing.body()).path("status").asInt()).isEqualTo(404);
        assertThat(call("POST", "/api/jobs/nosuch/runs", TestHome.OPERATOR_TOKEN, null)
                        .statusCode())
                .isEqualTo(404);
        HttpResponse<String> badTime =
                call("POST", "/api/jobs/copy/runs", TestHome.OPERATOR_TOKEN, "{\"at\":\"soon\"}");
        assertThat(badTime.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(badTime.body()).path("detail").asText()).contains("--at", "soon");
        assertThat(call("POST", "/api/schedules/copy/pause", TestHome.OPERATOR_TOKEN, null)
                        .statusCode())
                .as("a job without a schedule")
                .isEqualTo(400);
        assertThat(call("POST", "/api/schedules/ticker/resume", TestHome.OPERATOR_TOKEN, null)
                        .statusCode())
                .isEqualTo(204);
        assertThat(get("/api/jobs/ticker").path("schedule").path("state").asText())
                .isEqualTo("NORMAL");
        assertThat(call("POST", "/api/schedules/ticker/pause", TestHome.OPERATOR_TOKEN, null)
                        .statusCode())
                .isEqualTo(204);
    }

    @Test
    void prometheusShowsRunsStepsBytesBackupsArchiveAndLatenessAndTheActuatorNothingElse() throws Exception {
        long run = JSON.readTree(call("POST", "/api/jobs/copy/runs", TestHome.OPERATOR_TOKEN, null)
                        .body())
                .path("run")
                .asLong();
        awaitState(run, "COMPLETED");
        String metrics = await().atMost(Duration.ofSeconds(30))
                .until(
                        () -> call("GET", "/actuator/prometheus", TestHome.VIEWER_TOKEN, null)
                                .body(),
                        text -> text.contains("forkrunner_runs_total{job=\"copy\",result=\"COMPLETED\"}"));
        int completedCopies = get("/api/runs?job=copy&state=COMPLETED").size();
        assertThat(value(metrics, "forkrunner_runs_total\\{job=\"copy\",result=\"COMPLETED\"\\}"))
                .isEqualTo(completedCopies);
        assertThat(
                        value(
                                metrics,
                                "forkrunner_step_duration_seconds_count\\{job=\"copy\",result=\"COMPLETED\",step=\"restore-data\"\\}"))
                .isEqualTo(completedCopies);
        assertThat(value(metrics, "forkrunner_restore_bytes_total\\{job=\"copy\"\\}"))
                .isGreaterThan(1_000_000);
        long sinceBackup = Duration.between(backupStarted, Instant.now()).toSeconds() + 1;
        assertThat(value(metrics, "forkrunner_backup_age_seconds\\{service=\"shop\"\\}"))
                .isBetween(0.0, (double) sinceBackup);
        assertThat(value(metrics, "forkrunner_backup_window_seconds\\{service=\"shop\"\\}"))
                .isBetween(0.0, (double) sinceBackup);
        assertThat(value(metrics, "forkrunner_wal_archive_lag_bytes\\{service=\"shop\"\\}"))
                .as("less than one WAL segment behind")
                .isBetween(0.0, 16.0 * 1024 * 1024);
        assertThat(value(metrics, "forkrunner_schedule_lateness_seconds_count\\{job=\"ticker\"\\}"))
                .as("one lateness per fire of the paused ticker")
                .isEqualTo(home.read("var/log/serve.out").split("schedule of ticker fired", -1).length - 1);
        assertThat(call("GET", "/actuator/health", null, null).statusCode()).isEqualTo(200);
        assertThat(call("GET", "/actuator/env", null, null).statusCode()).isEqualTo(404);
        assertThat(call("GET", "/actuator/beans", null, null).statusCode()).isEqualTo(404);
    }

    @Test
    void prometheusWantsAViewerToken() throws Exception {
        HttpResponse<String> anonymous = call("GET", "/actuator/prometheus", null, null);
        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(anonymous.body()).doesNotContain("forkrunner_");
        assertThat(call("GET", "/actuator/prometheus", "not-a-token", null).statusCode())
                .isEqualTo(401);
        HttpResponse<String> viewer = call("GET", "/actuator/prometheus", TestHome.VIEWER_TOKEN, null);
        assertThat(viewer.statusCode()).isEqualTo(200);
        assertThat(viewer.body()).contains("# TYPE ");
    }

    @Test
    void noSecretAppearsInAnyResponse() throws Exception {
        for (String read : List.of(
                "/api/jobs",
                "/api/runs",
                "/api/forks",
                "/api/services",
                "/api/services/shop/backups",
                "/api/schedules",
                "/actuator/prometheus",
                "/actuator/health")) {
            call("GET", read, TestHome.VIEWER_TOKEN, null);
        }
        assertThat(BODIES).isNotEmpty();
        for (String body : BODIES) {
            assertThat(body)
                    .doesNotContain(source.password(), "App-pw-3e", TestHome.OPERATOR_TOKEN, TestHome.VIEWER_TOKEN);
        }
    }

    // ---- helpers

    static HttpResponse<String> call(String method, String path, String token, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
                .timeout(Duration.ofSeconds(60))
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        synchronized (BODIES) {
            BODIES.add(response.body());
        }
        return response;
    }

    static JsonNode get(String path) throws Exception {
        HttpResponse<String> response = call("GET", path, TestHome.VIEWER_TOKEN, null);
        assertThat(response.statusCode()).as(path + ": " + response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    static JsonNode awaitState(long run, String state) {
        return await().atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofSeconds(1))
                .ignoreExceptions()
                .until(
                        () -> get("/api/runs/" + run),
                        view -> view.path("state").asText().equals(state));
    }

    static double value(String metrics, String series) {
        Matcher matcher = Pattern.compile("(?m)^" + series + " ([0-9.eE+-]+)$").matcher(metrics);
        assertThat(matcher.find()).as(series + " in\n" + metrics).isTrue();
        return Double.parseDouble(matcher.group(1));
    }
}
