package io.forkrunner.engine.mariadb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.forkrunner.testing.CliResult;
import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestHome;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * {@code rename} of a MariaDB service: {@code read_only} fences writes off (a transaction open then cannot commit what
 * it wrote, and is waited for to end), a base backup then holds the last committed transaction, and the fork to latest
 * becomes the new service, running the source's scheduled events.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MariaDbRenameTest {

    private static final String CLERK = "Clerk-pw-77e1";

    static TestHome home;
    static MariaDbTestSource source;

    @BeforeAll
    static void sourceWithAClerkAndAnEvent() throws Exception {
        home = TestHome.create("mariadb-rename");
        source = MariaDbTestSource.start(home, "shop", "Shop-pw-19c4", Map.of("event-scheduler", "ON"));
        source.sql(
                "create database shop",
                "use shop",
                "create table shop.orders (id int primary key, note varchar(80))",
                "create table shop.ticks (at datetime(6))",
                "create event shop.tick on schedule every 1 second do insert into shop.ticks values (now(6))",
                "insert into shop.orders select seq, concat('order ', seq) from seq_1_to_100",
                "create user 'clerk'@'%' identified by '" + CLERK + "'",
                "grant select, insert, update, delete on shop.* to 'clerk'@'%'");
        home.declareServices(Ports.range(10), source.serviceYaml("shop", "eu-local", "{ keep: 2, wal: none }"));
    }

    @AfterAll
    static void close() {
        try {
            source.close();
        } finally {
            home.close();
        }
    }

    @Test
    @Order(1)
    void aTransactionThatDoesNotEndInTimeGivesUpTheRenameAndWritesAreAllowedAgain() throws Exception {
        try (Connection writer = clerk(source.port)) {
            writer.setAutoCommit(false);
            execute(writer, "insert into orders values (1000, 'held open')");

            CliResult result = home.cli("rename", "shop", "shop-late", "--wait", "2s");

            assertThat(result.exitCode()).as(result.toString()).isEqualTo(1);
            assertThat(result.err())
                    .contains("1 transaction(s) begun before writes were refused are still open after 2 s")
                    .contains("Writes are allowed again and nothing was changed");
            writer.rollback();
        }
        assertThat(source.column(null, "select @@global.read_only")).containsExactly("0");
        try (Connection clerk = clerk(source.port)) {
            execute(clerk, "insert into orders values (1001, 'still writable')");
            execute(clerk, "delete from orders where id = 1001");
        }
        assertThat(home.cli("forks", "--json").out()).doesNotContain("shop-late");
    }

    @Test
    @Order(2)
    void renameRefusesWritesWaitsForTheOpenTransactionAndTheNewServiceHoldsEveryCommitAndRunsTheEvents()
            throws Exception {
        try (Connection committed = clerk(source.port)) {
            execute(committed, "insert into orders values (101, 'the last order')");
        }
        Connection writer = clerk(source.port);
        writer.setAutoCommit(false);
        execute(writer, "insert into orders values (102, 'begun before the rename, never committed')");

        Process rename = home.start("rename", Map.of(), "rename", "shop", "shop-v2");

        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> source.column(null, "select @@global.read_only").equals(List.of("1")));
        await().atMost(Duration.ofSeconds(20))
                .until(() -> home.read("var/log/rename.out")
                        .contains("waiting: 1 transactions begun before writes were refused, still open"));
        try (Connection late = clerk(source.port)) {
            assertThatThrownBy(() -> execute(late, "insert into orders values (500, 'after the rename began')"))
                    .isInstanceOf(SQLException.class)
                    .hasMessageContaining("read-only");
        }
        assertThat(rename.isAlive())
                .as("the rename waits for the open transaction")
                .isTrue();
        assertThatThrownBy(writer::commit).hasMessageContaining("read-only");
        writer.rollback();
        writer.close();

        assertThat(rename.waitFor(240, TimeUnit.SECONDS)).isTrue();
        String log = home.read("var/log/rename.out");
        assertThat(rename.exitValue()).as(log).isZero();
        assertThat(log)
                .contains("shop refuses writes; its last transaction ended at binlog.")
                .contains("renamed shop" + " to shop-v2 by run ");

        int port = home.forkPort("shop-v2");
        assertThat(port).isNotEqualTo(source.port);
        assertThat(MariaDbTestSource.column(port, "shop", "clerk", CLERK, "select max(id) from orders"))
                .containsExactly("101");
        assertThat(source.columnOn(port, "shop", "select concat(id, note) from orders order by id"))
                .isEqualTo(source.column("shop", "select concat(id, note) from orders order by id"));
        try (Connection clerk = clerk(port)) {
            execute(clerk, "insert into orders values (103, 'on the new service')");
        }
        assertThat(source.columnOn(port, null, "select @@global.read_only")).containsExactly("0");
        assertThat(source.columnOn(port, null, "select @@global.event_scheduler"))
                .containsExactly("ON");
        int ticks = Integer.parseInt(
                source.columnOn(port, "shop", "select count(*) from ticks").get(0));
        await().atMost(Duration.ofSeconds(30))
                .until(() -> Integer.parseInt(source.columnOn(port, "shop", "select count(*) from ticks")
                                .get(0))
                        > ticks);
        // the original stays, refusing writes
        assertThat(source.column(null, "select @@global.read_only")).containsExactly("1");
    }

    private static Connection clerk(int port) throws SQLException {
        return MariaDbTestSource.connect(port, "shop", "clerk", CLERK);
    }

    private static void execute(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }
}
