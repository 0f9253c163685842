package io.forkrunner.engine.mariadb;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkrunner.testing.CliResult;
import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestHome;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A MariaDB fork made as a new database in an existing MariaDB server ({@code target.server}): dumped from a temporary
 * restore with {@code mariadb-dump --single-transaction}, loaded table by table; a kill during the load resumes with
 * the tables not loaded yet, and the users the server lacks are created with what they held on that database only.
 */
class MariaDbDatabaseTargetTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final int TABLES = 30;
    private static final Pattern EVENT_DDL = Pattern.compile("(?i)\\b(create|alter)\\b.*\\bevent\\b");

    static TestHome home;
    static MariaDbTestSource source;
    static MariaDbTestSource reports;

    @BeforeAll
    static void sourceAndServer() throws Exception {
        home = TestHome.create("mariadb-dbtarget");
        source = MariaDbTestSource.start(home, "shop", "Shop-pw-2b9e", Map.of("event-scheduler", "ON"));
        List<String> sql = new ArrayList<>(List.of(
                "create database shop character set utf8mb4",
                "use shop",
                "create table audit (item int, noted datetime(6))",
                "create table ticks (at datetime(6))"));
        for (int i = 1; i <= TABLES; i++) {
            sql.add("create table t" + i + " (id int primary key, note varchar(64), doc json)");
            sql.add("insert into t" + i + " select seq, md5(concat(seq, '-" + i + "')), json_object('n', seq)"
                    + " from seq_1_to_" + (1000 + 10 * i));
        }
        sql.addAll(List.of(
                "create trigger t1_audit after insert on t1 for each row insert into audit values (new.id, now(6))",
                "create view t1_notes as select id, note from t1",
                "create procedure add_t1(in p int) insert into t1 values (p, 'added', null)",
                "create event tick on schedule every 1 second do insert into ticks values (now(6))",
                "create role shop_reader",
                "grant select on shop.* to shop_reader",
                "create user 'clerk'@'%' identified by 'Clerk-pw-1'",
                "grant shop_reader to 'clerk'@'%'",
                "set default role shop_reader for 'clerk'@'%'",
                "create user 'boss'@'%' identified by 'Boss-pw-2'",
                "grant all on shop.* to 'boss'@'%'",
                "grant process, reload on *.* to 'boss'@'%'",
                "create user 'analyst'@'%' identified by 'Analyst-pw-source'",
                "grant select on shop.t2 to 'analyst'@'%'",
                "create user 'stranger'@'%' identified by 'Stranger-pw-3'"));
        source.sql(sql.toArray(String[]::new));
        reports = MariaDbTestSource.start(home, "reports", "Reports-pw-61d0", Map.of("event-scheduler", "ON"));
        reports.sql(
                "create user 'analyst'@'%' identified by 'Analyst-pw-reports'",
                "create database taken", "create table taken.kept (id int)", "insert into taken.kept values (42)");
        home.declareServices(
                Ports.range(20),
                source.serviceYaml("shop", "eu-local", "{ keep: 1, wal: none }"),
                reports.serviceYaml("reports", "eu-local", "{ keep: 1, wal: none }"));
        home.addSettings("""
                runs:
                  lease: 5s
                """);
        home.job("intodb", """
                source: shop
                database: shop
                target:
                  name: shop-copy-{run}
                  server: reports
                  database: shop_copy_{run}
                checks:
                  - select count(*) = 1010 from t1
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
        try {
            source.close();
            reports.close();
        } finally {
            home.close();
        }
    }

    @Test
    void aKillDuringTheLoadResumesWithTheTablesNotLoadedYetAndTheNewDatabaseEqualsTheSourcesWithItsUsers()
            throws Exception {
        String analystBefore =
                reports.column(null, "show grants for 'analyst'@'%'").toString();
        // tables load in the order of their names: audit, t1, t10, ...; two loaded means t1 is
        JsonNode running = home.killWhileRestoring("intodb", step -> tablesRestored(step) >= 2);
        long run = running.path("run").asLong();
        String database = "shop_copy_" + run;
        // a table loaded before the kill is a checkpoint: a restart that loaded it again would undo this change
        reports.sql("update " + database + ".t1 set note = 'changed between the kill and the restart' where id = 1");

        CliResult restarted = home.restartOnceReleased(run);
        assertThat(restarted.exitCode()).as(restarted.toString()).isZero();
        JsonNode finished = JSON.readTree(restarted.out());
        assertThat(finished.path("state").asText()).isEqualTo("COMPLETED");
        assertThat(reports.column(database, "select note from t1 where id = 1"))
                .containsExactly("changed between the kill and the restart");
        reports.sql("update " + database + ".t1 set note = '"
                + source.column("shop", "select note from t1 where id = 1").get(0) + "' where id = 1");

        for (int i = 1; i <= TABLES; i++) {
            String digest = "select count(*), sum(crc32(concat(id, note, coalesce(doc, '')))) from t" + i;
            assertThat(reports.column(database, digest + " group by 'all'"))
                    .as("t" + i)
                    .isEqualTo(source.column("shop", digest + " group by 'all'"));
        }
        assertThat(reports.schema(reports.port, database)
                        .replace("DISABLE ON SLAVE", "ENABLE")
                        .replace(" DISABLE ", " ENABLE "))
                .isEqualTo(source.schema(source.port, "shop"))
                .contains("t1_audit", "t1_notes", "add_t1", "`tick`");
        assertThat(reports.column(
                        null, "select status from information_schema.events where event_schema = '" + database + "'"))
                .containsExactly("DISABLED");
        assertThat(eventStatements(reports, database))
                .as("the server's binary log: the fork's event was created disabled, never enabled for a moment")
                .singleElement()
                .satisfies(create -> assertThat(create).containsPattern("(?i)create .*event `tick` .* disable do "));
        int ticks = Integer.parseInt(
                reports.column(database, "select count(*) from ticks").get(0));
        Awaitility.await()
                .during(Duration.ofSeconds(3))
                .atMost(Duration.ofSeconds(10))
                .until(() -> Integer.parseInt(reports.column(database, "select count(*) from ticks")
                                .get(0))
                        == ticks);

        assertThat(reports.column(null, "show grants for 'clerk'@'%'"))
                .isEqualTo(source.column(null, "show grants for 'clerk'@'%'"));
        assertThat(reports.column(null, "show grants for shop_reader"))
                .containsExactly(
                        "GRANT USAGE ON *.* TO `shop_reader`",
                        "GRANT SELECT ON `" + database + "`.* TO" + " `shop_reader`");
        assertThat(reports.column(null, "show grants for 'boss'@'%'"))
                .as("what boss held on the whole source server is withheld")
                .noneMatch(grant -> grant.contains("PROCESS") || grant.contains("RELOAD"))
                .anyMatch(grant -> grant.startsWith("GRANT ALL PRIVILEGES ON `" + database + "`.* TO `boss`"));
        assertThat(MariaDbTestSource.column(reports.port, database, "clerk", "Clerk-pw-1", "select count(*) from t2"))
                .containsExactly("1020");
        assertThat(reports.column(null, "show grants for 'analyst'@'%'").toString())
                .as("a user the server had is left alone")
                .isEqualTo(analystBefore);
        assertThat(reports.column(null, "select count(*) from mysql.user where user = 'stranger'"))
                .as("a user without privileges on the database stays behind")
                .containsExactly("0");

        JsonNode restore = TestHome.step(
                JSON.readTree(home.cli("status", String.valueOf(run), "--json").out()), "restore-data");
        assertThat(List.of(restore.path("report").path("roles-created").asText().split(", ")))
                .containsExactlyInAnyOrder("boss@%", "clerk@%", "shop_reader");
        // root made the role shop_reader, so holds it (WITH ADMIN OPTION): it comes along, and is left alone
        assertThat(restore.path("report").path("roles-left-alone").asText()).isEqualTo("analyst@%, root@localhost");
        assertThat(restore.path("report").path("privileges-withheld").asText())
                .isEqualTo("boss@%: GRANT RELOAD, PROCESS ON *.*");

        CliResult clash = home.cli("run", "clash");
        assertThat(clash.exitCode()).as(clash.toString()).isEqualTo(1);
        assertThat(clash.out() + clash.err()).contains("server reports has a database named taken already");
        assertThat(reports.column("taken", "select id from kept")).containsExactly("42");

        CliResult dropped = home.cli("drop", finished.path("fork").asText());
        assertThat(dropped.exitCode()).as(dropped.toString()).isZero();
        assertThat(reports.column(
                        null,
                        "select count(*) from information_schema.schemata where schema_name = '" + database + "'"))
                .containsExactly("0");
    }

    /** The statements creating or altering events in {@code database} that the server's binary logs hold, in their order. */
    private static List<String> eventStatements(MariaDbTestSource server, String database) throws Exception {
        List<String> statements = new ArrayList<>();
        try (Connection connection = MariaDbTestSource.connect(server.port, null, "root", server.password);
                Statement statement = connection.createStatement()) {
            for (String log : server.column(null, "show binary logs")) {
                try (ResultSet events = statement.executeQuery("show binlog events in '" + log + "'")) {
                    while (events.next()) {
                        String info = events.getString("Info");
                        if (info != null
                                && info.contains("`" + database + "`")
                                && EVENT_DDL.matcher(info).find()) {
                            statements.add(info);
                        }
                    }
                }
            }
        }
        return statements;
    }

    /** How many tables a restore-data step has loaded into the server, as its progress says; 0 before. */
    private static int tablesRestored(JsonNode step) {
        Matcher restored = Pattern.compile("^tables restored: (\\d+)")
                .matcher(step.path("progress").asText());
        return step.path("state").asText().equals("STARTED") && restored.find()
                ? Integer.parseInt(restored.group(1))
                : 0;
    }
}
