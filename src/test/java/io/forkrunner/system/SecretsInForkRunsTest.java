package io.forkrunner.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestHome;
import io.forkrunner.testing.TestSource;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Fork runs (sql, command and webhook integrations, an upgrade fork to 17, a database target) keep the services'
 * passwords out of children's argv and environment, files under {@code var/}, logs, metadata tables, API answers and
 * notifications.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SecretsInForkRunsTest {

    static final String SHOP_PASSWORD = "Shop-canary-91be44d0";
    static final String REPORTS_PASSWORD = "Reports-canary-5c07e2";

    static final Map<String, String> ENVIRONMENT =
            Map.of("SHOP_PASSWORD", SHOP_PASSWORD, "REPORTS_PASSWORD", REPORTS_PASSWORD);
    static final List<String> RECEIVED = new CopyOnWriteArrayList<>();
    static final Set<String> SEEN = ConcurrentHashMap.newKeySet();
    static final List<Process> FORKRUNNERS = new CopyOnWriteArrayList<>();
    static final AtomicBoolean SAMPLING = new AtomicBoolean(true);
    static HttpServer hooks;
    static TestHome home;
    static Thread sampler;
    static Process serve;
    static String api;

    @BeforeAll
    static void serve() throws Exception {
        hooks = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        hooks.createContext("/", exchange -> {
            RECEIVED.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        hooks.start();
        home = TestHome.create("secrets-forks");
        TestSource shop = TestSource.start(home, "shop", SHOP_PASSWORD);
        TestSource reports = TestSource.start(home, "reports", REPORTS_PASSWORD);
        shop.sql("create database shop");
        try (Connection database = shop.connect("shop");
                Statement statement = database.createStatement()) {
            statement.execute("create table items as select g as id from generate_series(1, 500) g");
        }
        String url = "http://127.0.0.1:" + hooks.getAddress().getPort();
        Path psqlSeen = home.path("sampler/psql-seen");
        Path commandSeen = home.path("sampler/command-seen");
        Files.createDirectories(psqlSeen.getParent());
        home.declareServices(
                Ports.range(20),
                shop.serviceYaml("eu-local", "{ keep: 1, wal: stream }")
                        .replace("${file:var/secrets/shop}", "${env:SHOP_PASSWORD}"),
                reports.serviceYaml("eu-local", "{ keep: 1, wal: none }")
                        .replace("${file:var/secrets/reports}", "${env:REPORTS_PASSWORD}"));
        String notify = """
                notifications:
                  - { on: success, url: "%1$s/notified" }
                  - { on: failure, url: "%1$s/notified" }
                """.formatted(url);
        // the sql integration and the command wait until the sampler has seen them running
        home.write(
                "jobs/sql/wait.sql",
                "do $$ begin for i in 1..1200 loop exit when (pg_stat_file('" + psqlSeen
                        + "', true)).size is not null; perform pg_sleep(0.1); end loop; end $$;\n");
        home.job("integrated", """
                source: shop
                database: shop
                target:
                  name: integrated-{run}
                integrations:
                  - { type: sql, file: jobs/sql/wait.sql }
                  - { type: command, argv: [/bin/sh, -c, "i=0; while [ ! -f %1$s ] && [ $i -lt 1200 ]; \
                do sleep 0.1; i=$((i+1)); done; test -f %1$s", waiting-for-sampler] }
                  - { type: webhook, url: "%2$s/integration" }
                %3$s""".formatted(commandSeen, url, notify));
        home.job("upgraded", """
                source: shop
                database: shop
                target:
                  name: upgraded-{run}
                  version: 17
                checks:
                  - select count(*) = 500 from items
                %s""".formatted(notify));
        home.job("intodb", """
                source: shop
                database: shop
                target:
                  name: intodb-{run}
                  server: reports
                  database: shop_copy_{run}
                checks:
                  - select count(*) = 500 from items
                %s""".formatted(notify));
        sampler = new Thread(() -> {
            while (SAMPLING.get()) {
                FORKRUNNERS.stream()
                        .flatMap(Process::descendants)
                        .map(SecretsStayHiddenTest::describe)
                        .filter(child -> !child.split(" ", 2)[0].endsWith("/jspawnhelper"))
                        // nor a child caught between fork and exec, which still shows the runner's own command line
                        // and environment (what the operator gave the runner), not a child program's
                        .filter(child -> !argv(child).contains("io.forkrunner.cli.Cli"))
                        .forEach(child -> {
                            SEEN.add(child);
                            if (argv(child).contains("psql ")) {
                                touch(psqlSeen);
                            }
                            if (argv(child).contains("waiting-for-sampler")) {
                                touch(commandSeen);
                            }
                        });
            }
        });
        sampler.start();
        serve = home.start("serve", ENVIRONMENT, "serve");
        FORKRUNNERS.add(serve);
        String log = await().atMost(Duration.ofSeconds(90))
                .ignoreExceptions()
                .until(
                        () -> home.read("var/log/serve.out"),
                        text -> text.contains("archiving WAL of shop (pid") && text.contains("dashboard on"));
        Matcher port =
                Pattern.compile("dashboard on (http://127\\.0\\.0\\.1:\\d+)/").matcher(log);
        assertThat(port.find()).isTrue();
        api = port.group(1);
        run("backup", "shop");
    }

    @AfterAll
    static void close() throws InterruptedException {
        SAMPLING.set(false);
        if (sampler != null) {
            sampler.join();
        }
        if (home != null) {
            home.close();
        }
        hooks.stop(0);
    }

    @Test
    @Order(1)
    void aForkRunWithSqlCommandAndWebhookIntegrationsCompletes() throws Exception {
        run("run", "integrated");
        assertThat(SEEN).as("children seen").anyMatch(child -> argv(child).contains("psql "));
        assertThat(SEEN).anyMatch(child -> argv(child).contains("waiting-for-sampler"));
    }

    @Test
    @Order(2)
    void anUpgradeForkCompletes() throws Exception {
        run("run", "upgraded");
    }

    @Test
    @Order(3)
    void aForkIntoADatabaseTargetCompletes() throws Exception {
        run("run", "intodb");
        assertThat(SEEN).anyMatch(child -> argv(child).contains("pg_restore"));
    }

    @Test
    @Order(4)
    void noPasswordInChildrenFilesLogsMetadataApiOrNotifications() throws Exception {
        SAMPLING.set(false);
        sampler.join();
        assertThat(SEEN).anyMatch(child -> child.contains("PGPASSFILE="));
        for (String password : List.of(SHOP_PASSWORD, REPORTS_PASSWORD)) {
            assertThat(SEEN).as("children's argv and environment").noneMatch(child -> child.contains(password));
        }
        assertThat(SEEN).noneMatch(child -> child.contains("SHOP_PASSWORD") || child.contains("REPORTS_PASSWORD"));

        StringBuilder answers = new StringBuilder();
        for (String read : List.of("/api/jobs", "/api/runs", "/api/forks", "/api/services", "/api/schedules")) {
            answers.append(get(api + read)).append('\n');
        }
        for (String run : runIds(answers.toString())) {
            answers.append(get(api + "/api/runs/" + run)).append('\n');
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> RECEIVED.size() >= 4);
        String metadata = SecretsStayHiddenTest.metadataText(home);

        serve.destroy();
        assertThat(serve.waitFor(120, TimeUnit.SECONDS)).isTrue();
        for (String password : List.of(SHOP_PASSWORD, REPORTS_PASSWORD)) {
            assertThat(answers.toString())
                    .as("API answers")
                    .contains("integrated")
                    .doesNotContain(password);
            assertThat(RECEIVED).as("notifications and webhooks").noneMatch(body -> body.contains(password));
            assertThat(metadata)
                    .as("metadata tables, batch contexts and parameters included")
                    .contains("integrated", "upgraded", "intodb")
                    .doesNotContain(password);
            for (Path file : SecretsStayHiddenTest.files(home.path("var"))) {
                if (!file.startsWith(home.path("var/secrets")) && !file.startsWith(home.path("var/sources"))) {
                    assertThat(new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1))
                            .as(file + ": no file under var/ holds a password once its run is over")
                            .doesNotContain(password);
                }
            }
        }
    }

    private static String argv(String child) {
        return child.split(" \\| ", 2)[0];
    }

    /** Runs forkrunner as a child process, sampled while it runs, to its end. */
    private static void run(String... args) throws Exception {
        String name = String.join("-", args);
        Process process = home.start(name, ENVIRONMENT, args);
        FORKRUNNERS.add(process);
        assertThat(process.waitFor(600, TimeUnit.SECONDS)).as(name).isTrue();
        assertThat(process.exitValue())
                .as(home.read("var/log/" + name + ".out"))
                .isZero();
    }

    private static List<String> runIds(String answers) {
        List<String> runs = new ArrayList<>();
        Matcher run = Pattern.compile("\"run\":(\\d+)").matcher(answers);
        while (run.find()) {
            runs.add(run.group(1));
        }
        return runs.stream().distinct().toList();
    }

    private static String get(String url) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create(url))
                                .header("Authorization", "Bearer " + TestHome.VIEWER_TOKEN)
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(url).isEqualTo(200);
        return response.body();
    }

    private static void touch(Path file) {
        try {
            if (!Files.exists(file)) {
                Files.createFile(file);
            }
        } catch (IOException e) {
            // the next sample tries again
        }
    }
}
