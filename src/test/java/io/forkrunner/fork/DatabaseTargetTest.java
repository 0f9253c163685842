package io.forkrunner.fork;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkrunner.testing.CliResult;
import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestHome;
import io.forkrunner.testing.TestSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Forks made as a new database in an existing server that forkrunner cannot create instances beside. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DatabaseTargetTest {

    static final JsonMapper JSON = JsonMapper.builder().build();
    static final int TABLES = 40;
    static final String ROLE_ROW = "select rolname, rolsuper, rolcanlogin, rolcreatedb, rolcreaterole, rolreplication,"
            + " rolconnlimit, rolpassword, array(select g.rolname from pg_auth_members m join pg_roles g"
            + " on g.oid = m.roleid where m.member = r.oid order by 1)::text from pg_authid r where rolname = ";
    static TestHome home;
    static TestSource source;
    static TestSource reports;

    @BeforeAll
    static void sourceAndServer() throws Exception {
        home = TestHome.create("dbtarget");
        source = TestSource.start(home, "shop", "Shop-pw-5150");
        source.sql("create role app login password 'App-pw-source'");
        source.sql("create role auditor login password 'Auditor-pw-9' connection limit 3");
        source.sql("create role admin superuser login password 'Admin-pw-1'");
        source.sql("grant app to auditor");
        source.sql("create role writers nologin");
        source.sql("grant writers to auditor");
        source.sql("create role ops login createrole replication bypassrls password 'Ops-pw-3'"
                + " in role pg_execute_server_program, pg_read_server_files, pg_write_server_files,"
                + " pg_signal_backend");
        source.sql("create database shop owner app");
        try (Connection shop = source.connect("shop");
                Statement statement = shop.createStatement()) {
            for (int i = 1; i <= TABLES; i++) {
                statement.execute("create table t" + i + " (id int primary key, note text)");
                statement.execute("insert into t" + i + " select g, md5(g::text || '" + i + "') from"
                        + " generate_series(1, " + (100 + 10 * i) + ") g");
                statement.execute("alter table t" + i + " owner to app");
            }
            statement.execute("grant select on t1 to auditor");
        }
        reports = TestSource.start(home, "reports", "Reports-pw-77");
        reports.sql("create role app login password 'App-pw-reports'");
        reports.sql("create role readers nologin");
        reports.sql("grant readers to app");
        reports.sql("create database taken");
        try (Connection taken = reports.connect("taken");
                Statement statement = taken.createStatement()) {
            statement.execute("create table kept (id int)");
            statement.execute("insert into kept values (42)");
        }
        home.declareServices(
                Ports.range(20),
                source.serviceYaml("eu-local", "{ keep: 1, wal: none }"),
                reports.serviceYaml("eu-local", "{ keep: 1, wal: none }"));
        home.job("intodb", """
                source: shop
                database: shop
                target:
                  name: shop-copy-{run}
                  server: reports
                  database: shop_copy_{run}
                checks:
                  - select count(*) = 110 from t1
                """);
        home.addSettings("""
                runs:
                  lease: 5s
                """);
        home.job("killed", """
                source: shop
                database: shop
                target:
                  name: killed-{run}
                  server: reports
                  database: killed_{run}
                """);
        home.job("clash", """
                source: shop
                database: shop
                target:
                  name: clash-{run}
                  server: reports
                  database: taken
                """);
        home.backUp("shop");
    }

    @AfterAll
    static void close() {
        home.close();
    }

    @Test
    @Order(2)
    void aForkIntoAnExistingServerIsANewDatabaseWithEqualDataAndLeavesExistingRolesAlone() throws Exception {
        String appBefore = row(reports, ROLE_ROW + "'app'");
        String postgresBefore = row(reports, ROLE_ROW + "'postgres'");

        CliResult result = home.cli("run", "intodb", "--json");

        assertThat(result.exitCode()).as(result.toString()).isZero();
        JsonNode run = JSON.readTree(result.out());
        String database = "shop_copy_" + run.path("run").asText();
        try (Connection copy = reports.connect(database);
                Connection original = source.connect("shop")) {
            assertThat(hashes(copy)).isEqualTo(hashes(original)).hasSize(TABLES);
            assertThat(scalar(
                            copy, "select pg_get_userbyid(datdba) from pg_database where datname = current_database()"))
                    .isEqualTo("app");
            assertThat(scalar(copy, "select tableowner from pg_tables where tablename = 't3'"))
                    .isEqualTo("app");
            assertThat(scalar(copy, "select has_table_privilege('auditor', 't1', 'select')"))
                    .isEqualTo("t");
        }
        assertThat(row(reports, ROLE_ROW + "'app'"))
                .as("an existing role is untouched")
                .isEqualTo(appBefore);
        assertThat(row(reports, ROLE_ROW + "'postgres'")).isEqualTo(postgresBefore);
        assertThat(row(reports, ROLE_ROW + "'auditor'"))
                .as("a missing role is created with its verifier, and member only of the roles this fork created")
                .isEqualTo(row(source, ROLE_ROW + "'auditor'").replace("{app,writers}", "{writers}"));
        assertThat(reports.sql("select pg_has_role('auditor', 'readers', 'member')"))
                .as("no way into a role the server had before, nor to what that role holds")
                .isEqualTo("f");
        assertThat(row(reports, ROLE_ROW + "'admin'"))
                .as("a superuser of the source is not one on the server")
                .startsWith("admin|f|t|");
        assertThat(row(reports, ROLE_ROW + "'ops'"))
                .as("no createrole, replication or predefined role on the server")
                .startsWith("ops|f|t|f|f|f|")
                .endsWith("|{}");
        assertThat(reports.sql("select rolbypassrls from pg_roles where rolname = 'ops'"))
                .isEqualTo("f");
        for (String predefined : List.of(
                "pg_execute_server_program", "pg_read_server_files", "pg_write_server_files", "pg_signal_backend")) {
            assertThat(reports.sql("select pg_has_role('ops', '" + predefined + "', 'member')"))
                    .as(predefined)
                    .isEqualTo("f");
        }

        JsonNode restore = step(run, "restore-data");
        assertThat(List.of(restore.path("roles-left-alone").asText().split(", ")))
                .containsExactlyInAnyOrder("app", "postgres");
        assertThat(List.of(restore.path("roles-created").asText().split(", ")))
                .containsExactlyInAnyOrder("admin", "auditor", "ops", "writers");
        assertThat(List.of(restore.path("privileges-withheld").asText().split("; ")))
                .containsExactlyInAnyOrder(
                        "admin: superuser",
                        "auditor: member of app",
                        "ops: createrole, replication, bypassrls, member of pg_execute_server_program,"
                                + " member of pg_read_server_files, member of pg_signal_backend,"
                                + " member of pg_write_server_files");
        CliResult status = home.cli("status", run.path("run").asText());
        assertThat(status.out()).contains("privileges-withheld admin: superuser; ");
        JsonNode verify = step(run, "verify");
        JsonNode rows = JSON.readTree(verify.path("rows").asText());
        assertThat(rows.size()).isEqualTo(TABLES);
        assertThat(rows.path(database + ".public.t6").asLong()).isEqualTo(160);

        JsonNode fork = forkNamed(run.path("fork").asText());
        assertThat(fork.path("server").asText()).isEqualTo("reports");
        assertThat(fork.path("database").asText()).isEqualTo(database);
        assertThat(fork.path("port").asInt()).isEqualTo(reports.port());
        assertThat(home.path("var/regions/eu")).isEmptyDirectory();

        CliResult dropped = home.cli("drop", run.path("fork").asText());
        assertThat(dropped.exitCode()).as(dropped.toString()).isZero();
        assertThat(reports.sql("select count(*) from pg_database where datname = '" + database + "'"))
                .isEqualTo("0");
        assertThat(row(reports, ROLE_ROW + "'app'")).isEqualTo(appBefore);
        assertThat(forkNamed(run.path("fork").asText())).isNull();
        assertThat(home.path("var/work/" + run.path("fork").asText())).doesNotExist();
    }

    @Test
    @Order(1)
    void aKillDuringTheLoadRestartsWithTheTablesNotYetLoadedAndTheServersOwnRolesStillReported() throws Exception {
        List<String> serversOwn = List.of(reports.sql("select string_agg(rolname, ',' order by rolname) from pg_roles"
                        + " where rolname in ('admin', 'app', 'auditor', 'ops', 'postgres', 'writers')")
                .split(","));
        JsonNode running = home.killWhileRestoring("killed", TestHome::loadingTables);
        long id = running.path("run").asLong();
        String database = "killed_" + id;
        Path loaded = home.path("var/work/" + running.path("fork").asText() + "/tables-loaded");
        List<String> before = Files.readAllLines(loaded);
        assertThat(before).isNotEmpty().hasSizeLessThan(TABLES);

        home.awaitLeaseExpired(id); // the dead runner's lease
        CliResult restarted = home.cli("restart", String.valueOf(id), "--json");

        assertThat(restarted.exitCode()).as(restarted.toString()).isZero();
        List<String> after = Files.readAllLines(loaded);
        assertThat(after).hasSize(TABLES).doesNotHaveDuplicates().startsWith(before.toArray(String[]::new));
        assertThat(new HashSet<>(after.subList(before.size(), after.size()))).doesNotContainAnyElementsOf(before);
        try (Connection copy = reports.connect(database);
                Connection original = source.connect("shop")) {
            assertThat(hashes(copy)).isEqualTo(hashes(original));
        }
        JsonNode restore = step(JSON.readTree(restarted.out()), "restore-data");
        assertThat(List.of(restore.path("roles-left-alone").asText().split(", ")))
                .as("roles the killed run created are not taken for the server's own")
                .containsExactlyInAnyOrderElementsOf(serversOwn);

        // the server as it was, for the next test: the roles this fork created stay when it is dropped
        assertThat(home.cli("drop", running.path("fork").asText()).exitCode()).isZero();
        for (String role : List.of("admin", "auditor", "ops", "writers")) {
            reports.sql("drop role if exists " + role);
        }
    }

    @Test
    @Order(3)
    void withUsersNoneTheNewDatabaseBelongsToTheServersLoginAndNoRoleIsCreated() throws Exception {
        home.job("plain", """
                source: shop
                database: shop
                target:
                  name: plain-{run}
                  server: reports
                  database: plain_{run}
                users: none
                """);
        String rolesBefore = reports.sql("select string_agg(rolname, ',' order by rolname) from pg_roles");

        CliResult result = home.cli("run", "plain", "--json");

        assertThat(result.exitCode()).as(result.toString()).isZero();
        JsonNode run = JSON.readTree(result.out());
        try (Connection copy = reports.connect("plain_" + run.path("run").asText());
                Connection original = source.connect("shop")) {
            assertThat(hashes(copy)).isEqualTo(hashes(original));
            assertThat(scalar(
                            copy,
                            "select string_agg(distinct tableowner, ',') from pg_tables"
                                    + " where schemaname = 'public'"))
                    .isEqualTo("postgres");
        }
        assertThat(reports.sql("select string_agg(rolname, ',' order by rolname) from pg_roles"))
                .isEqualTo(rolesBefore);
        assertThat(step(run, "restore-data").path("roles-created").asText()).isEmpty();
        assertThat(home.cli("drop", run.path("fork").asText()).exitCode()).isZero();
    }

    /**
     * A table that lost rows between a killed load and its restart (the restart trusts the tables it recorded as
     * loaded): verify holds the fork to the temporary restore it was dumped from, and fails naming the table.
     */
    @Test
    @Order(4)
    void aTableLoadedWithFewerRowsThanTheTemporaryRestoreFailsTheRunAtVerifyNamingIt() throws Exception {
        home.job("short", """
                source: shop
                database: shop
                target:
                  name: short-{run}
                  server: reports
                  database: short_{run}
                users: none
                """);
        JsonNode running = home.killWhileRestoring("short", TestHome::loadingTables);
        String id = running.path("run").asText();
        List<String> loaded =
                Files.readAllLines(home.path("var/work/" + running.path("fork").asText() + "/tables-loaded"));
        assertThat(loaded).isNotEmpty().hasSizeLessThan(TABLES);
        String table = loaded.get(0);
        int number = Integer.parseInt(table.substring(table.lastIndexOf(".t") + 2));
        try (Connection copy = reports.connect("short_" + id);
                Statement statement = copy.createStatement()) {
            assertThat(statement.executeUpdate("delete from t" + number + " where id > 100"))
                    .isEqualTo(10 * number);
        }

        CliResult restarted = home.restartOnceReleased(Long.parseLong(id));

        assertThat(restarted.exitCode()).as(restarted.toString()).isEqualTo(1);
        JsonNode run = JSON.readTree(home.cli("status", id, "--json").out());
        assertThat(stepNamed(run, "verify").path("error").asText())
                .isEqualTo("table " + table + " has 100 rows on the fork, " + (100 + 10 * number)
                        + " in the temporary restore of backup "
                        + run.path("backup").asText()
                        + " it was dumped from");
        assertThat(step(run, "verify").path("rows-compared").asText()).endsWith(", 1 differ");
        reports.sql("drop database short_" + id + " with (force)"); // a failed run registers no fork to drop
    }

    @Test
    void aDatabaseThatExistsOnTheServerIsRefusedAndLeftAsItWas() throws Exception {
        CliResult result = home.cli("run", "clash");

        assertThat(result.exitCode()).as(result.toString()).isEqualTo(1);
        assertThat(result.toString()).contains("server reports has a database named taken already");
        try (Connection taken = reports.connect("taken")) {
            assertThat(scalar(taken, "select string_agg(id::text, ',') from kept"))
                    .isEqualTo("42");
        }
        assertThat(home.cli("forks", "--json").out()).doesNotContain("clash-");
    }

    @Test
    void aServerTargetWithARegionOrVersionIsBadInput() throws Exception {
        home.job("bad", """
                source: shop
                target:
                  name: bad-{run}
                  server: reports
                  database: bad
                  version: 17
                """);
        try {
            CliResult result = home.cli("validate");
            assertThat(result.exitCode()).as(result.toString()).isEqualTo(2);
            assertThat(result.err())
                    .contains("jobs/bad.yml:6: target.version: \"17\": has no meaning with target.server");
        } finally {
            java.nio.file.Files.delete(home.path("jobs/bad.yml"));
        }
    }

    private static JsonNode step(JsonNode run, String name) {
        return stepNamed(run, name).path("report");
    }

    private static JsonNode stepNamed(JsonNode run, String name) {
        for (JsonNode step : run.path("steps")) {
            if (step.path("name").asText().equals(name)) {
                return step;
            }
        }
        throw new AssertionError("no step " + name + " in " + run);
    }

    private static JsonNode forkNamed(String name) {
        for (JsonNode fork : JSON.readTree(home.cli("forks", "--json").out())) {
            if (fork.path("name").asText().equals(name)) {
                return fork;
            }
        }
        return null;
    }

    private static Map<String, String> hashes(Connection connection) throws Exception {
        Map<String, String> hashes = new LinkedHashMap<>();
        for (int i = 1; i <= TABLES; i++) {
            hashes.put(
                    "t" + i,
                    scalar(
                            connection,
                            "select count(*) || ':' || md5(string_agg(id || '|' || note, ',' order by id)) from t"
                                    + i));
        }
        return hashes;
    }

    private static String row(TestSource server, String sql) throws Exception {
        try (Connection connection = server.connect("postgres");
                Statement statement = connection.createStatement();
                ResultSet row = statement.executeQuery(sql)) {
            if (!row.next()) {
                return null;
            }
            StringBuilder text = new StringBuilder();
            for (int column = 1; column <= row.getMetaData().getColumnCount(); column++) {
                text.append(column > 1 ? "|" : "").append(row.getString(column));
            }
            return text.toString();
        }
    }

    private static String scalar(Connection connection, String sql) throws Exception {
        try (Statement statement = connection.createStatement();
                ResultSet row = statement.executeQuery(sql)) {
            return row.next() ? row.getString(1) : null;
        }
    }
}
