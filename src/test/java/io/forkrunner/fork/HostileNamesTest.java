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
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Names read from a source's catalog are data, never syntax: databases, roles, schemas and tables named with {@code /},
 * {@code ..}, quotes, {@code =}, spaces, newlines and any Unicode fork to equal copies, and nothing outside a fork's own
 * directories is touched.
 */
class HostileNamesTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    /**
     * Every database name the source holds beyond {@code postgres}. Pasted into a path under a fork's dump, the first
     * two climb out of {@code var/} to the sentinel; the others would be read as a URL path or conninfo options.
     */
    static final List<String> DATABASES = List.of(
            "/../../../../../sentinel",
            "/../../../../../../sentinel",
            "../../x",
            "a/b",
            "it's \"quoted\" = dbname=postgres host=/tmp",
            "postgresql://127.0.0.1/postgres",
            "new\nline",
            "ünïcødé ✓ данные");

    static final List<String> ROLES = List.of("ro\"le = x/../y", "rôle'\nzwei", "..");
    static final String SCHEMA = "../s c\"h'ema/\n";
    static final String TABLE = "t a/b'le = \"x\"\n✓";

    static TestHome home;
    static TestSource source;
    static TestSource server;
    static Map<String, String> sentinelBefore;

    @BeforeAll
    static void aSourceFullOfHostileNames() throws Exception {
        home = TestHome.create("hostile");
        home.write("sentinel/keep/file", "the operator's, not forkrunner's\n");
        home.write("sentinel/top", "untouched\n");
        sentinelBefore = snapshot(home.path("sentinel"));
        source = TestSource.start(home, "hostile", "Hostile-pw-61");
        for (String role : ROLES) {
            source.sql("create role " + quote(role) + " login password 'Role-pw-" + role.length() + "'");
        }
        for (String database : DATABASES) {
            source.sql("create database " + quote(database) + " owner " + quote(ROLES.get(0)));
            try (Connection connection = connect(source.port(), source.password(), database);
                    Statement statement = connection.createStatement()) {
                statement.execute("create schema " + quote(SCHEMA) + " authorization " + quote(ROLES.get(1)));
                String table = quote(SCHEMA) + "." + quote(TABLE);
                statement.execute("create table " + table + " (id int primary key, " + quote("co l\n'") + " text)");
                statement.execute("insert into " + table + " select g, $$" + database
                        + "$$ || md5(g::text) from generate_series(1, 50) g");
                statement.execute("alter table " + table + " owner to " + quote(ROLES.get(2)));
                statement.execute("create table plain (id int)");
                statement.execute("insert into plain select generate_series(1, 7)");
            }
        }
        server = TestSource.start(home, "target", "Target-pw-83");
        home.declareServices(
                Ports.range(40),
                source.serviceYaml("eu-local", "{ keep: 1, wal: none }"),
                server.serviceYaml("eu-local", "{ keep: 1, wal: none }"));
        home.job("physical", """
                source: hostile
                target:
                  name: physical-{run}
                """);
        home.job("upgrade", """
                source: hostile
                target:
                  name: upgrade-{run}
                  version: 17
                """);
        home.backUp("hostile");
    }

    @AfterAll
    static void close() {
        home.close();
    }

    @AfterEach
    void theSentinelOutsideVarIsByteIdentical() throws Exception {
        assertThat(snapshot(home.path("sentinel"))).isEqualTo(sentinelBefore);
    }

    @Test
    void aPhysicalForkIsAnEqualCopyNamesAndAll() throws Exception {
        CliResult run = home.cli("run", "physical", "--json");

        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertEqualCopy(port(JSON.readTree(run.out()).path("fork").asText()));
    }

    @Test
    void anUpgradeForkTo17IsAnEqualCopyNamesAndAll() throws Exception {
        CliResult run = home.cli("run", "upgrade", "--json");

        // a clean refusal naming the database would be acceptable; forkrunner does better and copies every name
        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertEqualCopy(port(JSON.readTree(run.out()).path("fork").asText()));
    }

    @Test
    void aDatabaseTargetOfAHostileDatabaseIsAnEqualCopy() throws Exception {
        for (String database : List.of(DATABASES.get(0), DATABASES.get(4), DATABASES.get(6))) {
            String job = "into-" + DATABASES.indexOf(database);
            home.job(job, """
                    source: hostile
                    database: %s
                    target:
                      name: %s-{run}
                      server: target
                      database: copy_{run}
                    """.formatted(JSON.writeValueAsString(database), job));

            CliResult run = home.cli("run", job, "--json");

            assertThat(run.exitCode()).as(run.toString()).isZero();
            String copy = forkRecord(JSON.readTree(run.out()).path("fork").asText())
                    .path("database")
                    .asText();
            assertThat(copy).startsWith("copy_");
            assertThat(tables(server.port(), server.password(), copy))
                    .isEqualTo(tables(source.port(), source.password(), database))
                    .hasSize(2);
        }
    }

    private static void assertEqualCopy(int port) throws Exception {
        assertThat(names(port, source.password(), "select datname from pg_database where not datistemplate"))
                .isEqualTo(names(
                        source.port(), source.password(), "select datname from pg_database where not datistemplate"));
        assertThat(names(port, source.password(), "select rolname from pg_roles where rolname !~ '^pg_'"))
                .containsAll(ROLES);
        for (String database : DATABASES) {
            assertThat(tables(port, source.password(), database))
                    .as("database %s", database)
                    .isEqualTo(tables(source.port(), source.password(), database))
                    .hasSize(2);
        }
    }

    /** Each table of the database: owner, and count and hash of its rows. */
    private static Map<String, String> tables(int port, String password, String database) throws SQLException {
        Map<String, String> tables = new TreeMap<>();
        try (Connection connection = connect(port, password, database);
                Statement statement = connection.createStatement()) {
            List<String[]> names = new ArrayList<>();
            try (ResultSet rows = statement.executeQuery("select schemaname, tablename, tableowner from pg_tables"
                    + " where schemaname not in ('pg_catalog', 'information_schema')")) {
                while (rows.next()) {
                    names.add(new String[] {rows.getString(1), rows.getString(2), rows.getString(3)});
                }
            }
            for (String[] table : names) {
                try (ResultSet row = statement.executeQuery("select count(*) || ':' || md5(string_agg(t::text, ','"
                        + " order by t::text)) from " + quote(table[0]) + "." + quote(table[1]) + " t")) {
                    row.next();
                    tables.put(table[0] + "." + table[1], table[2] + ":" + row.getString(1));
                }
            }
        }
        return tables;
    }

    private static List<String> names(int port, String password, String sql) throws SQLException {
        List<String> names = new ArrayList<>();
        try (Connection connection = connect(port, password, "postgres");
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery(sql + " order by 1")) {
            while (rows.next()) {
                names.add(rows.getString(1));
            }
        }
        return names;
    }

    private static int port(String fork) {
        return forkRecord(fork).path("port").asInt();
    }

    private static JsonNode forkRecord(String fork) {
        for (JsonNode record : JSON.readTree(home.cli("forks", "--json").out())) {
            if (record.path("name").asText().equals(fork)) {
                return record;
            }
        }
        throw new AssertionError("no fork " + fork + ": " + home.cli("forks").out());
    }

    /** A connection to any database, its name passed as a property: no name can be misread as part of a URL. */
    private static Connection connect(int port, String password, String database) throws SQLException {
        Properties login = new Properties();
        login.setProperty("user", "postgres");
        login.setProperty("password", password);
        login.setProperty("PGDBNAME", database);
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/", login);
    }

    private static String quote(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }

    /** Every file under {@code root} with its bytes, and every directory. */
    private static Map<String, String> snapshot(Path root) throws Exception {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> tree = Files.walk(root)) {
            for (Path path : tree.toList()) {
                files.put(
                        root.relativize(path).toString(),
                        Files.isRegularFile(path) ? HexFormat.of().formatHex(Files.readAllBytes(path)) : "directory");
            }
        }
        return files;
    }
}
