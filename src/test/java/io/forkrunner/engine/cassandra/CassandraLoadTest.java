package io.forkrunner.engine.cassandra;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkrunner.engine.Endpoint;
import io.forkrunner.testing.CliResult;
import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestHome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A fork into more nodes than its source had: a one-node source of four virtual nodes forked into two nodes of four
 * tokens each, whose rows the bulk loader streams to the node owning each. Killed after the first table was loaded and restarted, the fork loads only the
 * other, and holds every row of the backup, spread over both nodes.
 */
class CassandraLoadTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final int ITEMS = 300;
    private static final int ORDERS = 2000;

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES) // three nodes, on two cores
    void aForkOfTwoNodesFromAOneNodeBackupLoadsEachTableOnceAndHoldsEveryRowOnBothNodes() throws Exception {
        try (TestHome home = TestHome.create("cassandra-load");
                CassandraTestSource source = CassandraTestSource.start(home, "solo", 1, 4)) {
            Endpoint admin = source.admin();
            try (CassandraCql cql = CassandraCql.open(admin)) {
                cql.execute("CREATE KEYSPACE shop WITH replication = {'class': 'SimpleStrategy',"
                        + " 'replication_factor': 1}");
                cql.execute("CREATE TABLE shop.items (id int PRIMARY KEY, name text)");
                cql.execute("CREATE TABLE shop.orders (id int PRIMARY KEY, item int, note text)");
                for (int id = 1; id <= ITEMS; id++) {
                    cql.execute("INSERT INTO shop.items (id, name) VALUES (?, ?)", id, "item ü" + id);
                }
                for (int id = 1; id <= ORDERS; id++) {
                    cql.execute(
                            "INSERT INTO shop.orders (id, item, note) VALUES (?, ?, ?)", id, id % ITEMS, "order " + id);
                }
            }
            home.addSettings("""
                    runs:
                      lease: 6s
                    """);
            home.declareServices(Ports.range(5), source.serviceYaml("solo", "eu-local", "{ keep: 2 }"));
            home.job("solo", """
                    source: solo
                    target:
                      name: solo-wide
                      nodes: 2
                    """);
            CliResult backup = home.backUp("solo");
            assertThat(backup.exitCode()).as(backup.toString()).isZero();
            try (CassandraCql cql = CassandraCql.open(admin)) {
                cql.execute("INSERT INTO shop.orders (id, item, note) VALUES (?, 1, 'late')", ORDERS + 1);
            }

            Path fork = home.path("var/regions/eu/solo-wide");
            // killed once the first table by name, shop.items, is loaded
            long run = CassandraForkChecks.runKilledAt(home, "solo", List.of(fork.resolve("load/1/loaded-t1")));
            assertThat(fork.resolve("load/1/loaded-t2"))
                    .as("the orders, not loaded at the kill")
                    .doesNotExist();
            JsonNode finished = CassandraForkChecks.restartCompletes(home, run);
            JsonNode report = TestHome.step(finished, "restore-data").path("report");
            assertThat(report.path("lay-down").asText())
                    .endsWith(", for the bulk loader: a fork of 2 nodes from a backup of 1");
            assertThat(report.path("compared-with-backup").asText())
                    .isEqualTo("equal: 2 nodes owning the 8 tokens laid out for them; schema of 1 keyspaces, 1 roles; "
                            + (ITEMS + ORDERS) + " rows in 2 tables, each as many as its source held at the backup");

            // the loader streamed the items' files once, before the kill, and the orders' after the restart
            List<String> streamed = Files.readAllLines(fork.resolve(CassandraRestore.LOADER_LOG)).stream()
                    .filter(line -> line.contains("Streaming relevant part of"))
                    .toList();
            assertThat(streamed)
                    .filteredOn(line -> line.contains("/import/t1/"))
                    .hasSize(1);
            assertThat(streamed)
                    .filteredOn(line -> line.contains("/import/t2/"))
                    .isNotEmpty();
            assertThat(fork.resolve("load"))
                    .as("the files laid down for the loader")
                    .doesNotExist();

            // the rows are spread: each node holds sstables of the orders
            assertThat(CassandraForkChecks.dataFiles(fork.resolve("node-1/data"), "/orders-"))
                    .isPositive();
            assertThat(CassandraForkChecks.dataFiles(fork.resolve("node-2/data"), "/orders-"))
                    .isPositive();

            Endpoint forkAdmin = new Endpoint("127.0.0.1", home.forkPort("solo-wide"), "cassandra", admin.password());
            String orders = "SELECT id, item, note FROM shop.orders";
            assertThat(CassandraForkChecks.digest(forkAdmin, orders, -1))
                    .isEqualTo(CassandraForkChecks.digest(admin, orders, ORDERS + 1));
            String items = "SELECT id, name FROM shop.items";
            assertThat(CassandraForkChecks.digest(forkAdmin, items, -1))
                    .isEqualTo(CassandraForkChecks.digest(admin, items, -1));
            try (CassandraCql onSource = CassandraCql.open(admin);
                    CassandraCql onFork = CassandraCql.open(forkAdmin)) {
                assertThat(onFork.schema()).isEqualTo(onSource.schema());
            }
            assertThat(home.cli("drop", "solo-wide").exitCode()).isZero();
        }
    }
}
