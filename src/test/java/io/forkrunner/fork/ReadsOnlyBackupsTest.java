package io.forkrunner.fork;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.forkrunner.testing.CliResult;
import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestHome;
import io.forkrunner.testing.TestSource;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A fork reads only the source's backups: on every path (a physical fork, a fork into a newer major, a new database in
 * an existing server) the source's own log, which records every connection, shows none while the fork runs.
 */
class ReadsOnlyBackupsTest {

    static final JsonMapper JSON = JsonMapper.builder().build();
    static final String ROWS = "select count(*) = 300 from items";
    static TestHome home;
    static TestSource source;
    static Path sourceLog;

    @BeforeAll
    static void sourceThatLogsEveryConnection() throws Exception {
        home = TestHome.create("reads-only-backups");
        source = TestSource.start(home, "shop", "Shop-pw-2b7e");
        source.sql("alter system set log_connections = on");
        source.sql("alter system set log_disconnections = on");
        source.sql("alter system set work_mem = '9MB'");
        source.sql("select pg_reload_conf()");
        source.sql("create role app login password 'App-pw-4d1'");
        source.sql("create database shop owner app");
        try (Connection shop = source.connect("shop");
                Statement statement = shop.createStatement()) {
            statement.execute("create table items (id int primary key, note text)");
            statement.execute("insert into items select g, md5(g::text) from generate_series(1, 300) g");
            statement.execute("alter table items owner to app");
        }
        TestSource reports = TestSource.start(home, "reports", "Reports-pw-8e3");
        home.declareServices(
                Ports.range(30),
                source.serviceYaml("eu-local", "{ keep: 1, wal: none }"),
                reports.serviceYaml("eu-local", "{ keep: 1, wal: none }"));
        home.job("physical", """
                source: shop
                database: shop
                target:
                  name: physical-{run}
                checks:
                  - %s
                """.formatted(ROWS));
        home.job("upgrade", """
                source: shop
                database: shop
                target:
                  name: upgrade-{run}
                  version: 17
                checks:
                  - %s
                """.formatted(ROWS));
        home.job("intodb", """
                source: shop
                database: shop
                target:
                  name: intodb-{run}
                  server: reports
                  database: shop_{run}
                checks:
                  - %s
                """.formatted(ROWS));
        sourceLog = home.path("var/sources/shop/log/postgresql.log");
        long before = Files.size(sourceLog);

        CliResult backup = home.cli("backup", "shop");

        assertThat(backup.exitCode()).as(backup.toString()).isZero();
        assertThat(connectionsSince(before))
                .as("the source logs the backup's connections: a connection would show")
                .isNotEmpty();
    }

    @AfterAll
    static void close() {
        home.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"physical", "upgrade", "intodb"})
    void aForkRunOpensNoConnectionToTheSource(String job) throws Exception {
        long mark = Files.size(sourceLog);

        CliResult result = home.cli("run", job, "--json");

        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(connectionsSince(mark))
                .as("connections to the source during the run")
                .isEmpty();
        if (!job.equals("intodb")) {
            JsonNode configuration = step(JSON.readTree(result.out()), "copy-configuration");
            assertThat(JSON.readTree(configuration.path("settings").asText())
                            .path("work_mem")
                            .asText())
                    .as("the source's settings come from its backup")
                    .isEqualTo("9MB");
        }
    }

    @Test
    void aConnectionToTheSourceShowsInItsLog() throws Exception {
        long mark = Files.size(sourceLog);

        source.sql("select 1");

        await().atMost(Duration.ofSeconds(30))
                .until(() -> !connectionsSince(mark).isEmpty());
    }

    /** The lines of the source's log since {@code position} that record a connection being made. */
    private static List<String> connectionsSince(long position) throws IOException {
        try (RandomAccessFile file = new RandomAccessFile(sourceLog.toFile(), "r")) {
            byte[] bytes = new byte[(int) (file.length() - position)];
            file.seek(position);
            file.readFully(bytes);
            return new String(bytes, StandardCharsets.UTF_8)
                    .lines()
                    .filter(line -> line.contains("connection received") || line.contains("connection authorized"))
                    .toList();
        }
    }

    private static JsonNode step(JsonNode run, String name) {
        for (JsonNode step : run.path("steps")) {
            if (step.path("name").asText().equals(name)) {
                return step.path("report");
            }
        }
        throw new AssertionError("no step " + name + " in " + run);
    }
}
