package io.forkrunner.engine.cassandra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.forkrunner.engine.Endpoint;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.Secret;
import io.forkrunner.testing.CliResult;
import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestHome;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The one three-node case (each cluster start is about a minute on two cores): a source of three nodes with tokens
 * spread evenly and replication factor 1 (every row on exactly one node), a keyspace with a user type, a table with a
 * secondary index, and a role allowed in that keyspace only; and a keyspace of replication factor 2, whose replicas
 * agree. Its fork of three nodes, killed while it imports the second node's files and restarted, holds every row, the
 * schema and the role; the backup counts the rows of the tables nothing writes to and of no other, and the fork is
 * compared with those counts.
 */
class CassandraForkTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String CLERK_PASSWORD = "Clerk-pw-41d2";
    private static final int CUSTOMERS = 3000;
    private static final int DEPOSITS = 600;

    @Test
    @Timeout(value = 12, unit = TimeUnit.MINUTES) // three nodes twice, on two cores
    void aThreeNodeForkKilledWhileImportingTheSecondNodeResumesAndHoldsEveryRowTheSchemaAndTheRole() throws Exception {
        try (TestHome home = TestHome.create("cassandra-three");
                CassandraTestSource source = CassandraTestSource.start(home, "ring", 3)) {
            Endpoint admin = source.admin();
            try (CassandraCql cql = CassandraCql.open(admin)) {
                cql.changeSchema("CREATE KEYSPACE shop WITH replication = {'class': 'NetworkTopologyStrategy',"
                        + " 'datacenter1': 1}");
                cql.changeSchema("CREATE TYPE shop.address (street text, city text)");
                cql.changeSchema("CREATE TABLE shop.customers (id int PRIMARY KEY, name text, email text,"
                        + " home frozen<address>)");
                cql.changeSchema("CREATE INDEX customers_by_email ON shop.customers (email)");
                cql.changeSchema("CREATE FUNCTION shop.plus (total int, n int) RETURNS NULL ON NULL INPUT RETURNS int"
                        + " LANGUAGE java AS 'return total + n;'");
                cql.changeSchema("CREATE AGGREGATE shop.total (int) SFUNC plus STYPE int INITCOND 0");
                cql.changeSchema("CREATE KEYSPACE payroll WITH replication = {'class': 'SimpleStrategy',"
                        + " 'replication_factor': 1}");
                cql.changeSchema("CREATE TABLE payroll.salaries (id int PRIMARY KEY, amount int)"
                        + " WITH default_time_to_live = 86400");
                cql.execute("INSERT INTO payroll.salaries (id, amount) VALUES (1, 5000)");
                for (int id = 1; id <= CUSTOMERS; id++) {
                    cql.execute(
                            "INSERT INTO shop.customers (id, name, email, home) VALUES (?, ?, ?," + " {street: 'Main "
                                    + id + "', city: 'Tampere'})",
                            id,
                            "customer ü" + id,
                            "c" + id + "@example.com");
                }
                cql.changeSchema("CREATE TABLE shop.visits (id int PRIMARY KEY)");
                // two replicas of each row, which agree: each node's files hold the rows of its own ranges and of
                // its neighbour's, and the fork's count reads one replica of each range
                cql.changeSchema("CREATE KEYSPACE vault WITH replication = {'class': 'NetworkTopologyStrategy',"
                        + " 'datacenter1': 2}");
                cql.changeSchema("CREATE TABLE vault.deposits (id int PRIMARY KEY, note text)");
                for (int id = 1; id <= DEPOSITS; id++) {
                    cql.execute("INSERT INTO vault.deposits (id, note) VALUES (?, ?)", id, "deposit " + id);
                }
                cql.execute("CREATE ROLE clerk WITH PASSWORD = '" + CLERK_PASSWORD + "' AND LOGIN = true");
                cql.execute("GRANT SELECT ON KEYSPACE shop TO clerk");
            }
            assertThat(rowsPerNode(source))
                    .as("every node holds rows of its own")
                    .allMatch(rows -> rows > 0);

            home.addSettings("""
                    runs:
                      lease: 6s
                    """);
            home.declareServices(Ports.range(5), source.serviceYaml("ring", "eu-local", "{ keep: 2 }"));
            home.job("ring", """
                    source: ring
                    target:
                      name: ring-copy
                      nodes: 3
                    """);
            // shop.visits is written to all through the backup, and payroll's rows expire: neither is counted at the
            // backup, shop.customers is
            CliResult backup;
            try (VisitWriter visits = new VisitWriter(admin)) {
                Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> visits.written.get() > 0);
                backup = home.backUp("ring");
            }
            assertThat(backup.exitCode()).as(backup.toString()).isZero();
            JsonNode tables = JSON.readTree(Files.readString(nodeOfBackup(home.path("var/backups/ring"), 1)
                            .getParent()
                            .getParent()
                            .resolve("backup.json")))
                    .path("tables");
            assertThat(tables.path("t1").path("table").asText()).isEqualTo("salaries");
            assertThat(tables.path("t1").has("rows")).isFalse();
            assertThat(tables.path("t1").path("rows_uncounted").asText())
                    .isEqualTo("its rows expire 86400 s after they are written, by default_time_to_live");
            assertThat(tables.path("t2").path("table").asText()).isEqualTo("customers");
            assertThat(tables.path("t2").path("rows").asLong()).isEqualTo(CUSTOMERS);
            assertThat(tables.path("t3").path("table").asText()).isEqualTo("visits");
            assertThat(tables.path("t3").has("rows")).isFalse();
            assertThat(tables.path("t3").path("rows_uncounted").asText())
                    .matches("[1-9][0-9]* writes reached it during the backup");
            assertThat(tables.path("t4").path("table").asText()).isEqualTo("deposits");
            assertThat(tables.path("t4").path("rows").asLong()).isEqualTo(DEPOSITS);
            try (CassandraCql cql = CassandraCql.open(admin)) {
                cql.execute(
                        "INSERT INTO shop.customers (id, name, email) VALUES (?, 'late', 'late@example.com')",
                        CUSTOMERS + 1);
            }

            Path fork = home.path("var/regions/eu/ring-copy");
            // killed as the second node's files are imported
            long run = CassandraForkChecks.runKilledAt(
                    home, "ring", List.of(fork.resolve("node-1/imported-t1"), fork.resolve("node-1/imported-t2")));
            assertThat(fork.resolve("node-3/imported-t1")).doesNotExist();
            JsonNode finished = CassandraForkChecks.restartCompletes(home, run);
            assertThat(TestHome.step(finished, "restore-data")
                            .path("report")
                            .path("compared-with-backup")
                            .asText())
                    .startsWith("equal: 3 nodes owning the backup's 3 tokens; schema of 3 keyspaces, 2 roles; ")
                    .contains(" rows in 4 tables, as many as their source held at the backup except in"
                            + " payroll.salaries (its rows expire 86400 s after they are written, by"
                            + " default_time_to_live), shop.visits ("
                            + tables.path("t3").path("rows_uncounted").asText()
                            + "), whose rows were counted but not compared");

            // the first node's files were imported once: as many sstables as its backup holds, not twice as many
            Path firstNodeBackup = nodeOfBackup(home.path("var/backups/ring"), 1);
            assertThat(CassandraForkChecks.dataFiles(fork.resolve("node-1/data"), "/salaries-"))
                    .isEqualTo(CassandraForkChecks.dataFiles(firstNodeBackup.resolve("t1"), "/t1/"));
            assertThat(CassandraForkChecks.dataFiles(fork.resolve("node-1/data"), "/customers-"))
                    .isPositive()
                    .isEqualTo(CassandraForkChecks.dataFiles(firstNodeBackup.resolve("t2"), "/t2/"));

            Endpoint forkAdmin = new Endpoint("127.0.0.1", home.forkPort("ring-copy"), "cassandra", admin.password());
            String customers = "SELECT id, name, email, home FROM shop.customers";
            assertThat(CassandraForkChecks.digest(forkAdmin, customers, -1))
                    .isEqualTo(CassandraForkChecks.digest(admin, customers, CUSTOMERS + 1));
            String deposits = "SELECT id, note FROM vault.deposits";
            assertThat(CassandraForkChecks.digest(forkAdmin, deposits, -1))
                    .isEqualTo(CassandraForkChecks.digest(admin, deposits, -1));
            for (int node = 1; node <= 3; node++) {
                assertThat(CassandraForkChecks.dataFiles(fork.resolve("node-" + node + "/data"), "/deposits-"))
                        .as("node %d holds replicas of vault.deposits", node)
                        .isPositive();
            }
            String salaries = "SELECT id, amount FROM payroll.salaries";
            assertThat(CassandraForkChecks.digest(forkAdmin, salaries, -1))
                    .isEqualTo(CassandraForkChecks.digest(admin, salaries, -1));
            try (CassandraCql onSource = CassandraCql.open(admin);
                    CassandraCql onFork = CassandraCql.open(forkAdmin)) {
                assertThat(onFork.schema()).isEqualTo(onSource.schema());
                assertThat(onFork.execute("SELECT id FROM shop.customers WHERE email = 'c1234@example.com'")
                                .get(0)
                                .getInt("id"))
                        .as("the secondary index answers on the fork")
                        .isEqualTo(1234);
                assertThat(onFork.execute("SELECT shop.total(id) FROM shop.customers WHERE id IN (1, 2, 3)")
                                .get(0)
                                .getInt(0))
                        .as("the aggregate and its function")
                        .isEqualTo(6);
                assertThat(onFork.execute("SELECT id FROM shop.customers WHERE id = ?", CUSTOMERS + 1))
                        .as("a row written after the backup")
                        .isEmpty();
            }

            Endpoint clerk = new Endpoint("127.0.0.1", home.forkPort("ring-copy"), "clerk", new Secret(CLERK_PASSWORD));
            try (CassandraCql cql = CassandraCql.open(clerk)) {
                assertThat(cql.count("shop", "customers")).isEqualTo(CUSTOMERS);
                ForkrunnerException refused =
                        catchThrowableOfType(ForkrunnerException.class, () -> cql.count("payroll", "salaries"));
                assertThat(refused).isNotNull();
                assertThat(refused.getMessage()).contains("has no SELECT permission");
            }
            assertThat(home.cli("drop", "ring-copy").exitCode()).isZero();

            // the service now declares one node (validate takes a one-node target), its backup has three: refused at
            // pick-backup, naming both counts, before anything is made
            String oneNode = source.serviceYaml("ring", "eu-local", "{ keep: 2 }")
                    .replaceAll("(?s)(      - \\{ address: 127\\.0\\.0\\.1[^\n]*\n).*", "$1");
            assertThat(oneNode).contains("127.0.0.1").doesNotContain("127.0.0.2");
            home.declareServices(Ports.range(5), oneNode);
            home.job("ring", """
                    source: ring
                    target:
                      name: ring-small
                      nodes: 1
                    """);
            CliResult refused = home.cli("run", "ring");
            assertThat(refused.exitCode()).as(refused.toString()).isEqualTo(1);
            assertThat(refused.out() + refused.err())
                    .contains("its source had 3 nodes and the job's target has 1: a fork never has fewer nodes");
            assertThat(home.path("var/regions/eu/ring-small")).doesNotExist();
        }
    }

    /** Inserts rows into {@code shop.visits}, one after another, until closed. */
    private static final class VisitWriter implements AutoCloseable {

        final AtomicInteger written = new AtomicInteger();
        private final AtomicBoolean closed = new AtomicBoolean();
        private final Thread thread;

        VisitWriter(Endpoint admin) {
            CassandraCql cql = CassandraCql.open(admin);
            thread = new Thread(() -> {
                try (cql) {
                    while (!closed.get()) {
                        cql.execute("INSERT INTO shop.visits (id) VALUES (?)", written.incrementAndGet());
                    }
                }
            });
            thread.start();
        }

        @Override
        public void close() throws InterruptedException {
            closed.set(true);
            thread.join();
        }
    }

    /** The rows of each node's primary ranges, as the source's nodes own them: a third each, give or take. */
    private static List<Long> rowsPerNode(CassandraTestSource source) {
        List<Long> rows = new ArrayList<>();
        List<String> tokens = CassandraNode.spreadTokens(3);
        try (CassandraCql cql = CassandraCql.open(source.admin())) {
            for (int i = 0; i < 3; i++) {
                long from = Long.parseLong(tokens.get(i));
                String to = i == 2 ? String.valueOf(Long.MAX_VALUE) : tokens.get(i + 1);
                rows.add(cql.execute("SELECT COUNT(*) FROM shop.customers WHERE token(id) > " + from
                                + " AND token(id) <= " + to)
                        .get(0)
                        .getLong(0));
            }
        }
        return rows;
    }

    /** The files of node {@code node} in the one backup under {@code backups}: {@code .../nodes/N}. */
    private static Path nodeOfBackup(Path backups, int node) throws IOException {
        try (Stream<Path> found = Files.walk(backups)) {
            List<Path> nodes = found.filter(path -> path.endsWith(Path.of("nodes", String.valueOf(node))))
                    .toList();
            assertThat(nodes).hasSize(1);
            return nodes.get(0);
        }
    }
}
