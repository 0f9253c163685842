package io.forkrunner.rename;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.forkrunner.Forkrunner;
import io.forkrunner.definition.ServiceDefinition;
import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.Place;
import io.forkrunner.engine.Pools;
import io.forkrunner.engine.postgresql.PostgresEngine;
import io.forkrunner.system.Node;
import io.forkrunner.system.Secret;
import io.forkrunner.testing.CliResult;
import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestHome;
import io.forkrunner.testing.TestSource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Renames by fork: the original refuses writes, the new service holds the last commit, the pool leads there. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RenameTest {

    static final JsonMapper JSON = JsonMapper.builder().build();
    static final String APP_PASSWORD = "App-pw-8812";
    static final int POOLER_PORT = Ports.one();
    static final String POOLER = "var/shop-pooler/pgbouncer/pgbouncer.ini";
    /** Where depot's pooler goes when a test gives it one: a place only the last line of depot's declaration holds. */
    static final String DEPOT_POOLER = "    # depot's pooler\n";

    static TestHome home;
    static TestSource source;
    static TestSource stock;
    static TestSource depot;

    @BeforeAll
    static void sourceWithAPooler() throws Exception {
        home = TestHome.create("rename");
        source = TestSource.start(home, "shop", "Shop-pw-4711");
        source.sql("create role app login password '" + APP_PASSWORD + "'");
        source.sql("create database shop owner app");
        try (Connection shop = source.connect("shop");
                Statement statement = shop.createStatement()) {
            statement.execute("create table orders (id int primary key, note text)");
            statement.execute("insert into orders select g, 'order ' || g from generate_series(1, 100) g");
            statement.execute("alter table orders owner to app");
        }
        stock = TestSource.start(home, "stock", "Stock-pw-3003");
        stock.sql("create table items as select g as id, md5(g::text) as note from generate_series(1, 5000) g");
        depot = TestSource.start(home, "depot", "Depot-pw-6006");
        home.declareServices(
                Ports.range(20),
                stock.serviceYaml("eu-local", "{ keep: 2, wal: none }"),
                depot.serviceYaml("eu-local", "{ keep: 2, wal: none }"),
                DEPOT_POOLER,
                source.serviceYaml("eu-local", "{ keep: 2, wal: none }"),
                TestSource.appPool(4));
        // the source's own pooler: a real PgBouncer in front of it, in transaction mode
        try (Forkrunner forkrunner = Forkrunner.boot(home.home(), false)) {
            forkrunner
                    .bean(PostgresEngine.class)
                    .pooling()
                    .orElseThrow()
                    .start(
                            new Place(home.path("var/shop-pooler"), source.port(), 15),
                            new Endpoint("127.0.0.1", source.port(), "postgres", new Secret(source.password())),
                            new Pools(
                                    POOLER_PORT,
                                    List.of(new ServiceDefinition.Pool(
                                            "app", "shop", "app", ServiceDefinition.PoolMode.TRANSACTION, 4))));
        }
        home.write("config/services.yml", home.read("config/services.yml") + "    pooler: " + POOLER + "\n");
    }

    @AfterAll
    static void close() {
        home.close();
    }

    @Test
    @Order(1)
    void badInputIsRefusedWithExitTwoAndNothingChanged() throws Exception {
        CliResult unknown = home.cli("rename", "nosuch", "shop-v2");
        assertThat(unknown.exitCode()).as(unknown.toString()).isEqualTo(2);
        assertThat(unknown.err()).contains("SERVICE: \"nosuch\": is not a service in config/services.yml");
        CliResult taken = home.cli("rename", "shop", "shop");
        assertThat(taken.exitCode()).as(taken.toString()).isEqualTo(2);
        assertThat(taken.err()).contains("NEW-NAME: \"shop\": is a service in config/services.yml already");
        CliResult invalid = home.cli("rename", "shop", "Shop_V2");
        assertThat(invalid.exitCode()).as(invalid.toString()).isEqualTo(2);
        assertThat(source.sql("show default_transaction_read_only")).isEqualTo("off");
    }

    @Test
    @Order(2)
    void aTransactionThatDoesNotEndInTimeGivesUpTheRenameAndWritesAreAllowedAgain() throws Exception {
        try (Connection writer = source.connect("shop")) {
            writer.setAutoCommit(false);
            execute(writer, "insert into orders values (1000, 'held open')");

            CliResult result = home.cli("rename", "shop", "shop-late", "--wait", "3s");

            assertThat(result.exitCode()).as(result.toString()).isEqualTo(1);
            assertThat(result.err())
                    .contains("1 transaction(s) begun before writes were refused are still open after 3 s")
                    .contains("Writes are allowed again and nothing was changed");
            writer.rollback();
        }
        assertThat(source.sql("show default_transaction_read_only")).isEqualTo("off");
        try (Connection shop = source.connect("shop")) {
            execute(shop, "insert into orders values (1001, 'still writable')");
            execute(shop, "delete from orders where id = 1001");
        }
        assertThat(home.cli("forks", "--json").out()).doesNotContain("shop-late");
    }

    @Test
    @Order(3)
    void renameRefusesWritesWaitsForTheOpenOneAndMovesThePoolsClientsToTheNewService() throws Exception {
        Connection writer = source.connect("shop");
        writer.setAutoCommit(false);
        execute(writer, "insert into orders values (101, 'the last order')");
        Connection idle = source.connect("shop");
        Connection poolClient = appThrough(POOLER_PORT, "app");
        assertThat(scalar(poolClient, "select inet_server_port()")).isEqualTo(String.valueOf(source.port()));

        Process rename = home.start("rename", Map.of(), "rename", "shop", "shop-v2");

        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> source.sql("show default_transaction_read_only").equals("on"));
        await().atMost(Duration.ofSeconds(20))
                .until(() -> home.read("var/log/rename.out")
                        .contains("waiting: 1 transactions begun before writes were refused, still open"));
        assertThatThrownBy(() -> execute(idle, "insert into orders values (500, 'after the rename began')"))
                .isInstanceOf(SQLException.class)
                .hasMessageContaining("read-only transaction");
        assertThat(rename.isAlive())
                .as("the rename waits for the open transaction")
                .isTrue();
        writer.commit(); // begun before the rename: the last committed row

        assertThat(rename.waitFor(240, TimeUnit.SECONDS)).isTrue();
        String log = home.read("var/log/rename.out");
        assertThat(rename.exitValue()).as(log).isZero();
        assertThat(log).contains("renamed shop to shop-v2 by run ").contains("pointed pools [app]");

        int port = -1;
        for (JsonNode fork : JSON.readTree(home.cli("forks", "--json").out())) {
            if (fork.path("name").asText().equals("shop-v2")) {
                port = fork.path("port").asInt();
            }
        }
        assertThat(port).isPositive().isNotEqualTo(source.port());
        try (Connection renamed = appThrough(port, "shop")) {
            assertThat(scalar(renamed, "select note from orders order by id desc limit 1"))
                    .isEqualTo("the last order");
            assertThat(scalar(renamed, "select count(*) from orders")).isEqualTo("101");
        }
        // the client of the pool, still connected, reaches the new service, which takes writes
        assertThat(scalar(poolClient, "select inet_server_port()")).isEqualTo(String.valueOf(port));
        execute(poolClient, "insert into orders values (102, 'through the pool, after the rename')");
        try (Connection fresh = appThrough(POOLER_PORT, "app")) {
            assertThat(scalar(fresh, "select inet_server_port()")).isEqualTo(String.valueOf(port));
            assertThat(scalar(fresh, "select max(id) from orders")).isEqualTo("102");
        }
        // the original stays, refusing writes
        assertThatThrownBy(() -> execute(idle, "insert into orders values (501, 'on the original')"))
                .hasMessageContaining("read-only transaction");
        assertThat(scalar(idle, "select count(*) from orders")).isEqualTo("101");
        assertThat(home.path("var/shop-pooler/pgbouncer/pgbouncer.ini.before-rename"))
                .content()
                .contains("port=" + source.port());

        CliResult again = home.cli("rename", "shop", "shop-v2");
        assertThat(again.exitCode())
                .as("the same rename again is done already: " + again)
                .isZero();
        poolClient.close();
        writer.close();
        idle.close();
    }

    @Test
    @Order(4)
    void aRenameKilledDuringItsForkGoesOnWhenRunAgain() throws Exception {
        // slow enough to be killed while restoring; a short lease so that the dead run can be taken up soon
        home.addSettings("""
                runs:
                  lease: 5s
                  copy-rate: 2MB
                """);
        Process rename = home.start("rename-killed", Map.of(), "rename", "stock", "stock-v2");
        long run = await().atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofMillis(500))
                .ignoreExceptions()
                .until(() -> home.runRestoring("rename-stock-v2", RenameTest::started), found -> found != null)
                .path("run")
                .asLong();
        rename.destroyForcibly();
        assertThat(rename.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(stock.sql("show default_transaction_read_only")).isEqualTo("on");

        home.awaitLeaseExpired(run); // the dead process's lease
        CliResult again = home.cli("rename", "stock", "stock-v2");

        assertThat(again.exitCode()).as(again.toString()).isZero();
        assertThat(again.out())
                .contains("resuming run " + run + ", the fork of this rename")
                .doesNotContain("taking a base backup")
                .contains("renamed stock to stock-v2 by run " + run);
        JsonNode status =
                JSON.readTree(home.cli("status", String.valueOf(run), "--json").out());
        assertThat(status.path("state").asText()).isEqualTo("COMPLETED");
        assertThat(status.path("executions").asInt()).isEqualTo(2);
        int port = -1;
        for (JsonNode fork : JSON.readTree(home.cli("forks", "--json").out())) {
            if (fork.path("name").asText().equals("stock-v2")) {
                port = fork.path("port").asInt();
            }
        }
        Properties login = new Properties();
        login.setProperty("user", "postgres");
        login.setProperty("password", stock.password());
        try (Connection renamed =
                DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", login)) {
            assertThat(scalar(renamed, "select count(*) || ':' || md5(string_agg(note, ',' order by id)) from items"))
                    .isEqualTo(
                            stock.sql("select count(*) || ':' || md5(string_agg(note, ',' order by id)) from items"));
            execute(renamed, "insert into items values (5001, 'the new service takes writes')");
        }
    }

    @Test
    @Order(5)
    void anAbandonedRenameLetsTheServiceTakeWritesAgain() throws Exception {
        Process rename = home.start("rename-abandoned", Map.of(), "rename", "depot", "depot-v2");
        await().atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofMillis(500))
                .ignoreExceptions()
                .until(() -> home.runRestoring("rename-depot-v2", RenameTest::started), found -> found != null);
        String host = Node.current().substring(0, Node.current().lastIndexOf(':'));

        CliResult whileAlive = home.cli("rename", "depot", "depot-v2", "--abandon");

        assertThat(whileAlive.exitCode()).as(whileAlive.toString()).isEqualTo(1);
        assertThat(whileAlive.err())
                .contains("the rename of depot to depot-v2 is in progress: process " + host + ":" + rename.pid() + " ")
                .contains("Abandoning it now would let depot take writes while that process forks it");
        assertThat(rename.isAlive()).isTrue();
        assertThat(depot.sql("show default_transaction_read_only")).isEqualTo("on");
        rename.destroyForcibly();
        assertThat(rename.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(depot.sql("show default_transaction_read_only")).isEqualTo("on");

        CliResult abandoned = home.cli("rename", "depot", "depot-v2", "--abandon");

        assertThat(abandoned.exitCode()).as(abandoned.toString()).isZero();
        assertThat(abandoned.out()).contains("abandoned the rename of depot to depot-v2: depot takes writes again");
        assertThat(depot.sql("show default_transaction_read_only")).isEqualTo("off");
        depot.sql("create table after_abandon (id int)");
        CliResult again = home.cli("rename", "depot", "depot-v2", "--abandon");
        assertThat(again.exitCode()).as("nothing left to abandon: " + again).isEqualTo(2);
    }

    @Test
    @Order(6)
    void aRenameWhosePoolerHasNoPoolLeadingToTheServiceFailsSayingSoAndChangesNothing() throws Exception {
        // the shop pooler's pools lead to shop-v2 now, none to depot
        home.write(
                "config/services.yml",
                home.read("config/services.yml").replace(DEPOT_POOLER, "    pooler: " + POOLER + "\n"));
        String poolerBefore = home.read(POOLER);

        CliResult result = home.cli("rename", "depot", "depot-v3");

        assertThat(result.exitCode()).as(result.toString()).isEqualTo(2);
        assertThat(result.err())
                .contains("config/services.yml: services.depot.pooler: \"" + home.path(POOLER) + "\": has no pool"
                        + " leading to depot (127.0.0.1:" + depot.port() + ")")
                .contains("nothing was changed");
        assertThat(result.out()).doesNotContain("renamed");
        assertThat(depot.sql("show default_transaction_read_only")).isEqualTo("off");
        assertThat(home.read(POOLER)).isEqualTo(poolerBefore);
        assertThat(home.cli("forks", "--json").out()).doesNotContain("depot-v3");
    }

    private static boolean started(JsonNode step) {
        return step.path("state").asText().equals("STARTED");
    }

    private static Connection appThrough(int port, String database) throws SQLException {
        Properties login = new Properties();
        login.setProperty("user", "app");
        login.setProperty("password", APP_PASSWORD);
        login.setProperty("preferQueryMode", "simple"); // no prepared statements across transaction pooling
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/" + database, login);
    }

    private static void execute(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    private static String scalar(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement();
                ResultSet row = statement.executeQuery(sql)) {
            return row.next() ? row.getString(1) : null;
        }
    }
}
