package io.forkrunner.fork;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.forkrunner.engine.GeneratedLogin;
import io.forkrunner.testing.CliResult;
import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestHome;
import io.forkrunner.testing.TestSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A source whose login needs no password: its forks still let no login in without one. Forkrunner logs in to each with
 * a password generated for it, kept in the fork's own directory (mode 0600); pg_hba.conf holds no trust line.
 */
class PasswordlessSourceTest {

    static final JsonMapper JSON = JsonMapper.builder().build();
    static TestHome home;
    static TestSource source;

    @BeforeAll
    static void sourceWithoutPassword() throws Exception {
        home = TestHome.create("passwordless");
        source = TestSource.startWithoutPassword(home, "shop");
        source.sql("create role app login password 'App-pw-33'");
        source.sql("create database shop owner app");
        try (Connection shop = source.connect("shop");
                Statement statement = shop.createStatement()) {
            statement.execute("create table orders (id int primary key, note text)");
            statement.execute("insert into orders select g, md5(g::text) from generate_series(1, 2000) g");
            statement.execute("grant select on orders to app");
        }
        home.addSettings("""
                runs:
                  lease: 5s
                """);
        home.declareServices(
                Ports.range(40), source.serviceYaml("eu-local", "{ keep: 2, wal: stream }") + TestSource.appPool(2));
        home.job("plain", """
                source: shop
                target:
                  name: plain-{run}
                """);
        home.job("to17", """
                source: shop
                target:
                  name: to17-{run}
                  version: 17
                """);
        home.serveAndBackUp("shop");
    }

    @AfterAll
    static void close() {
        home.close();
    }

    @Test
    void aPhysicalForkRefusesALoginWithoutPasswordAndTakesTheGeneratedOne() throws Exception {
        String fork = run("plain");
        assertLetsNoOneInWithoutPassword(fork);
    }

    @Test
    void aForkTo17RefusesALoginWithoutPasswordAndTakesTheGeneratedOne() throws Exception {
        String fork = run("to17");
        assertLetsNoOneInWithoutPassword(fork);
        try (Connection forked = connect(fork, "postgres", password(fork))) {
            assertThat(Integer.parseInt(scalar(forked, "show server_version_num")))
                    .isGreaterThanOrEqualTo(170000);
        }
    }

    private static String run(String job) throws Exception {
        CliResult result = home.cli("run", job, "--json");
        assertThat(result.exitCode()).as(result.toString()).isZero();
        JsonNode run = JSON.readTree(result.out());
        assertThat(run.path("state").asText()).isEqualTo("COMPLETED");
        return run.path("fork").asText();
    }

    private static void assertLetsNoOneInWithoutPassword(String fork) throws Exception {
        Path directory = home.path("var/regions/eu/" + fork);
        assertThat(Files.readAllLines(directory.resolve("data/pg_hba.conf")).stream()
                        .map(String::strip)
                        .filter(line -> !line.isEmpty() && !line.startsWith("#")))
                .as("the lines of the fork's pg_hba.conf")
                .isNotEmpty()
                .noneMatch(line -> line.toLowerCase().contains("trust"));
        Path passwordFile = directory.resolve(GeneratedLogin.FILE);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(passwordFile)))
                .isEqualTo("rw-------");
        assertThatThrownBy(() -> connect(fork, "postgres", null).close())
                .as("a login without a password")
                .isInstanceOfSatisfying(
                        SQLException.class,
                        refused -> assertThat(refused.getSQLState()).isIn("28P01", "08004"));
        assertThatThrownBy(() -> connect(fork, "postgres", "wrong").close())
                .isInstanceOfSatisfying(
                        SQLException.class,
                        refused -> assertThat(refused.getSQLState()).isEqualTo("28P01"));
        try (Connection forked = connect(fork, "shop", password(fork));
                Connection original = source.connect("shop")) {
            String rows = "select count(*) || ':' || md5(string_agg(id || '|' || note, ',' order by id)) from orders";
            assertThat(scalar(forked, rows)).isEqualTo(scalar(original, rows));
            String owner = "select pg_get_userbyid(datdba) from pg_database where datname = 'shop'";
            assertThat(scalar(forked, owner)).isEqualTo(scalar(original, owner));
        }
        try (Connection forked = connect(fork, "postgres", password(fork));
                Connection original = source.connect("postgres")) {
            String roles = "select rolname || ':' || rolsuper || ':' || rolcanlogin from pg_roles"
                    + " where rolname not like 'pg\\_%' order by 1";
            assertThat(rows(forked, roles)).isEqualTo(rows(original, roles));
        }
        assertThat(home.path("var/regions/eu").toFile().list())
                .as("no temporary instance is left in the region")
                .noneMatch(name -> name.startsWith("temporary-"));
    }

    private static String password(String fork) throws Exception {
        return Files.readString(home.path("var/regions/eu/" + fork + "/" + GeneratedLogin.FILE))
                .strip();
    }

    private static Connection connect(String fork, String database, String password) throws Exception {
        int port = home.forkPort(fork);
        Properties login = new Properties();
        login.setProperty("user", "postgres");
        if (password != null) {
            login.setProperty("password", password);
        }
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/" + database, login);
    }

    private static String scalar(Connection connection, String sql) throws Exception {
        List<String> rows = rows(connection, sql);
        return rows.isEmpty() ? null : rows.get(0);
    }

    private static List<String> rows(Connection connection, String sql) throws Exception {
        List<String> rows = new ArrayList<>();
        try (Statement statement = connection.createStatement();
                ResultSet row = statement.executeQuery(sql)) {
            while (row.next()) {
                rows.add(row.getString(1));
            }
        }
        return rows;
    }
}
