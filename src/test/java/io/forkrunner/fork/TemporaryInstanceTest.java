package io.forkrunner.fork;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestHome;
import io.forkrunner.testing.TestSource;
import java.io.File;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The temporary instance of a logical restore belongs to its run alone, whatever the fork is named. */
class TemporaryInstanceTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** 55 characters: the forks' names differ only after it, in their run number. */
    private static final String SHARED = "a-fork-whose-name-shares-a-very-long-prefix-with-other-";

    private TestHome home;

    @AfterEach
    void close() {
        home.close();
    }

    @Test
    void twoUpgradeForksWhoseNamesShareALongPrefixRestoreAtOnceEachEqualToItsOwnSource() throws Exception {
        home = TestHome.create("temporary");
        TestSource alpha = source("alpha", "Alpha-pw-31", 3000);
        TestSource beta = source("beta", "Beta-pw-47", 5000);
        // slow lay-down, so that the second run makes its temporary instance while the first still uses its own
        home.addSettings("""
                runs:
                  copy-rate: 1MB
                """);
        home.declareServices(
                Ports.range(40),
                alpha.serviceYaml("eu-local", "{ keep: 1, wal: none }"),
                beta.serviceYaml("eu-local", "{ keep: 1, wal: none }"));
        for (String name : new String[] {"alpha", "beta"}) {
            home.job(name, """
                    source: %s
                    target:
                      name: %s{run}
                      version: 17
                    """.formatted(name, SHARED));
            home.backUp(name);
        }

        Process first = home.start("run-alpha", Map.of(), "run", "alpha");
        Process second = home.start("run-beta", Map.of(), "run", "beta");
        long[] most = {0};
        await().atMost(Duration.ofMinutes(15))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> {
                    most[0] = Math.max(most[0], temporaryInstances());
                    return !first.isAlive() && !second.isAlive();
                });

        assertThat(most[0]).as("both runs had their temporary instance at once").isEqualTo(2);
        assertThat(first.exitValue()).as(home.read("var/log/run-alpha.out")).isZero();
        assertThat(second.exitValue()).as(home.read("var/log/run-beta.out")).isZero();
        assertThat(contents(connect(fork("alpha"), alpha.password()))).isEqualTo(contents(alpha.connect("shop")));
        assertThat(contents(connect(fork("beta"), beta.password()))).isEqualTo(contents(beta.connect("shop")));
        assertThat(temporaryInstances()).as("no temporary instance is left").isZero();
    }

    private TestSource source(String name, String password, int rows) throws Exception {
        TestSource source = TestSource.start(home, name, password);
        source.sql("create database shop");
        try (Connection shop = source.connect("shop");
                Statement statement = shop.createStatement()) {
            statement.execute("create table item (id int primary key, note text)");
            statement.execute("insert into item select g, md5(g::text || '" + name + "') from generate_series(1, "
                    + rows + ") g");
            statement.execute("create table origin (name text)");
            statement.execute("insert into origin values ('" + name + "')");
        }
        return source;
    }

    /** The temporary instances' directories in the region now. */
    private long temporaryInstances() {
        File[] entries = home.path("var/regions/eu").toFile().listFiles();
        return entries == null
                ? 0
                : Arrays.stream(entries)
                        .filter(entry -> entry.getName().contains("temporary"))
                        .count();
    }

    /** The port of the fork the job made. */
    private int fork(String job) {
        for (JsonNode record : JSON.readTree(home.cli("forks", "--json").out())) {
            if (record.path("job").asText().equals(job)) {
                assertThat(record.path("name").asText()).startsWith(SHARED);
                return record.path("port").asInt();
            }
        }
        throw new AssertionError(
                "no fork of job " + job + ": " + home.cli("forks").out());
    }

    private static Connection connect(int port, String password) throws Exception {
        Properties login = new Properties();
        login.setProperty("user", "postgres");
        login.setProperty("password", password);
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/shop", login);
    }

    private static String contents(Connection connection) throws Exception {
        try (connection;
                Statement statement = connection.createStatement();
                ResultSet row = statement.executeQuery("select (select string_agg(name, ',') from origin) || ':'"
                        + " || count(*) || ':' || md5(string_agg(id || '|' || note, ',' order by id)) from item")) {
            row.next();
            return row.getString(1);
        }
    }
}
