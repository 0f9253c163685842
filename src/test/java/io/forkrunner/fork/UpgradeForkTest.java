package io.forkrunner.fork;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkrunner.testing.CliResult;
import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestHome;
import io.forkrunner.testing.TestSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Forks of a PostgreSQL 15 source into PostgreSQL 17: a logical restore from a temporary physical one. */
class UpgradeForkTest {

    static final JsonMapper JSON = JsonMapper.builder().build();
    static final int TABLES = 40;
    static TestHome home;
    static TestSource source;

    @BeforeAll
    static void sourceOn15() throws Exception {
        home = TestHome.create("upgrade");
        source = TestSource.start(home, "shop", "Shop-pw-17c2");
        source.sql("create role app login password 'App-pw-71'");
        source.sql("create database shop owner app");
        try (Connection shop = source.connect("shop");
                Statement statement = shop.createStatement()) {
            for (int i = 1; i <= TABLES; i++) {
                statement.execute(
                        "create table t" + i + " (id int primary key, note text, at timestamptz default now())");
                statement.execute("insert into t" + i + " (id, note) select g, md5(g::text || '" + i + "') from"
                        + " generate_series(1, " + (500 + i * 10) + ") g");
                statement.execute("create index t" + i + "_note on t" + i + " (note)");
            }
            statement.execute("alter table t1 add constraint t1_positive check (id > 0)");
            statement.execute("grant select on all tables in schema public to app");
        }
        home.addSettings("""
                runs:
                  lease: 5s
                """);
        home.declareServices(
                Ports.range(50), source.serviceYaml("eu-local", "{ keep: 2, wal: stream }") + TestSource.appPool(4));
        home.job("to17", """
                source: shop
                target:
                  name: to17-{run}
                  version: 17
                checks:
                  - select count(*) = %d from information_schema.tables where table_schema = 'public'
                """.formatted(TABLES));
        home.write("jobs/killed.yml", home.read("jobs/to17.yml").replace("to17-{run}", "killed-{run}"));
        home.serveAndBackUp("shop");
    }

    @AfterAll
    static void close() {
        home.close();
    }

    @Test
    void aForkTo17AnswersAs17AndHoldsEveryTableWithEqualCountsAndHashes() throws Exception {
        CliResult result = home.cli("run", "to17", "--json");
        assertThat(result.exitCode()).as(result.toString()).isZero();
        JsonNode run = JSON.readTree(result.out());
        String fork = run.path("fork").asText();
        try (Connection forked = fork(fork, "shop");
                Connection original = source.connect("shop")) {
            assertThat(Integer.parseInt(scalar(forked, "show server_version_num")))
                    .isGreaterThanOrEqualTo(170000);
            assertThat(hashes(forked)).isEqualTo(hashes(original)).hasSize(TABLES);
            assertThat(scalar(forked, "select count(*) from pg_indexes where indexname like 't%_note'"))
                    .isEqualTo(String.valueOf(TABLES));
            assertThat(scalar(forked, "select count(*) from pg_constraint where conname = 't1_positive'"))
                    .isEqualTo("1");
        }
        try (Connection forked = fork(fork, "postgres");
                Connection original = source.connect("postgres")) {
            String verifier = "select rolpassword from pg_authid where rolname = 'app'";
            assertThat(scalar(forked, verifier)).isEqualTo(scalar(original, verifier));
        }
        assertThat(home.path("var/regions/eu").toFile().list())
                .as("no temporary instance is left in the region")
                .noneMatch(name -> name.startsWith("temporary-"));
    }

    @Test
    void theSampleUpgradeTestJobRunsGreen() throws Exception {
        home.write("jobs/upgrade-test.yml", Files.readString(Path.of("jobs/upgrade-test.yml")));
        home.write("jobs/sql/upgrade-smoke.sql", Files.readString(Path.of("jobs/sql/upgrade-smoke.sql")));
        CliResult result = home.cli("run", "upgrade-test", "--json");
        assertThat(result.exitCode()).as(result.toString()).isZero();
        JsonNode run = JSON.readTree(result.out());
        assertThat(run.path("state").asText()).isEqualTo("COMPLETED");
        assertThat(run.path("fork").asText()).startsWith("shop-pg17-");
        try (Connection forked = fork(run.path("fork").asText(), "shop")) {
            assertThat(Integer.parseInt(scalar(forked, "show server_version_num")))
                    .isGreaterThanOrEqualTo(170000);
        }
        JsonNode verify = null;
        for (JsonNode step : run.path("steps")) {
            if (step.path("name").asText().equals("verify")) {
                verify = step.path("report");
            }
        }
        JsonNode results = JSON.readTree(verify.path("results").asText());
        assertThat(results.path("test: jobs/sql/upgrade-smoke.sql").asText()).startsWith("passed in ");
        assertThat(results.path("check: select current_setting('server_version_num')::int >= 170000")
                        .asText())
                .startsWith("true in ");
        JsonNode settings = JSON.readTree(verify.path("settings-differ").asText());
        assertThat(settings.path("allow_alter_system").asText())
                .as("a setting new in 17")
                .isEqualTo("- -> on");
        assertThat(JSON.readTree(verify.path("extensions-differ").asText()).isObject())
                .isTrue();
    }

    @Test
    void aKillDuringTheLogicalRestoreRestartsWithTheTablesNotYetRestored() throws Exception {
        JsonNode running = home.killWhileRestoring("killed", TestHome::loadingTables);
        long id = running.path("run").asLong();
        String fork = running.path("fork").asText();
        Path loaded = home.path("var/regions/eu/" + fork + "/tables-loaded");
        List<String> before = Files.readAllLines(loaded);
        assertThat(before).isNotEmpty().hasSizeLessThan(TABLES);

        home.awaitLeaseExpired(id); // the dead runner's lease
        CliResult restarted = home.cli("restart", String.valueOf(id), "--json");
        assertThat(restarted.exitCode()).as(restarted.toString()).isZero();
        List<String> after = Files.readAllLines(loaded);
        assertThat(after).hasSize(TABLES).doesNotHaveDuplicates().startsWith(before.toArray(String[]::new));
        assertThat(new HashSet<>(after.subList(before.size(), after.size()))).doesNotContainAnyElementsOf(before);
        try (Connection forked = fork(fork, "shop");
                Connection original = source.connect("shop")) {
            assertThat(hashes(forked)).isEqualTo(hashes(original));
        }
    }

    private static Map<String, String> hashes(Connection connection) throws Exception {
        Map<String, String> hashes = new LinkedHashMap<>();
        for (int i = 1; i <= TABLES; i++) {
            hashes.put(
                    "t" + i,
                    scalar(
                            connection,
                            "select count(*) || ':' || md5(string_agg(id || '|' || note || '|' || at,"
                                    + " ',' order by id)) from t" + i));
        }
        return hashes;
    }

    private static Connection fork(String fork, String database) throws Exception {
        int port = home.forkPort(fork);
        Properties login = new Properties();
        login.setProperty("user", "postgres");
        login.setProperty("password", source.password());
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/" + database, login);
    }

    private static String scalar(Connection connection, String sql) throws Exception {
        try (Statement statement = connection.createStatement();
                ResultSet row = statement.executeQuery(sql)) {
            return row.next() ? row.getString(1) : null;
        }
    }
}
