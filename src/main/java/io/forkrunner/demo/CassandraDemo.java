package io.forkrunner.demo;

import io.forkrunner.Forkrunner;
import io.forkrunner.backup.BackupKeeper;
import io.forkrunner.backup.StoredBackup;
import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.cassandra.CassandraCql;
import io.forkrunner.engine.cassandra.CassandraNode;
import io.forkrunner.fork.ForkRecord;
import io.forkrunner.fork.ForkRegistry;
import io.forkrunner.report.RunView;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.Home;
import io.forkrunner.system.ProcessRunner;
import io.forkrunner.system.Secret;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The demo with a Cassandra source of its own ({@code var/demo-cassandra}): one node of the Cassandra home, keyspace
 * {@code shop} with its customers and orders, a role {@code app} allowed in it; a verified backup; orders written after
 * it; a fork of the newest backup, its customers' emails masked by a {@code cql} integration; the report, the fork's
 * rows, and how to connect with cqlsh or a driver. Cassandra has no point in time between backups.
 */
final class CassandraDemo extends OwnSourceDemo {

    static final int FIRST_PORT = 16880;
    private static final int CUSTOMERS = 20;
    /** A new node's superuser appears some seconds after it serves. */
    private static final Duration LOGIN = Duration.ofMinutes(2);

    CassandraDemo(Home home, String service, String job, PrintWriter out, String metadata) {
        super(home, service, job, out, metadata);
    }

    @Override
    RunView run() throws Exception {
        Path secrets = home.var().resolve("secrets");
        Path portsFile = home.var().resolve("source.ports");
        if (!Files.exists(portsFile)) {
            DemoSource.writePasswords(secrets);
            int cql = DemoSource.freePort(FIRST_PORT);
            int storage = DemoSource.freePort(cql + 1);
            int jmx = DemoSource.freePort(storage + 1);
            Files.writeString(portsFile, cql + " " + storage + " " + jmx + "\n");
        }
        List<Integer> ports = List.of(Files.readString(portsFile).strip().split(" ")).stream()
                .map(Integer::parseInt)
                .toList();
        String sourcePassword = DemoSource.read(secrets.resolve("source"));
        String appPassword = DemoSource.read(secrets.resolve("app"));
        CassandraNode node = new CassandraNode(
                new ProcessRunner(CassandraNode.serviceUser()),
                CassandraNode.home(),
                home.var().resolve("source"),
                new CassandraNode.Settings(
                        service,
                        "127.0.0.1",
                        ports.get(0),
                        ports.get(1),
                        ports.get(2),
                        CassandraNode.spreadTokens(1),
                        List.of("127.0.0.1:" + ports.get(1)),
                        Map.of()));
        Endpoint admin = new Endpoint("127.0.0.1", ports.get(0), "cassandra", new Secret(sourcePassword));
        if (!node.isRunning()) {
            boolean made = Files.exists(node.directory().resolve("conf"));
            node.configure();
            node.start();
            if (!made) { // a new cluster's superuser has the well-known password until it is given its own
                try (CassandraCql cql = CassandraCql.openWhenReady(
                        new Endpoint("127.0.0.1", ports.get(0), "cassandra", new Secret("cassandra")), LOGIN)) {
                    cql.execute("ALTER ROLE cassandra WITH PASSWORD = '" + sourcePassword + "'");
                }
            }
        }
        writeDefinitions(ports.get(0), ports.get(2));
        int first;
        try (CassandraCql cql = CassandraCql.openWhenReady(admin, LOGIN)) {
            cql.execute("CREATE KEYSPACE IF NOT EXISTS shop WITH replication ="
                    + " {'class': 'SimpleStrategy', 'replication_factor': 1}");
            cql.execute("CREATE TABLE IF NOT EXISTS shop.customers (id int PRIMARY KEY, name text, email text)");
            cql.execute("CREATE TABLE IF NOT EXISTS shop.orders (id int PRIMARY KEY, customer int, note text)");
            if (cql.execute("SELECT role FROM system_auth.roles WHERE role = 'app'")
                    .isEmpty()) {
                cql.execute("CREATE ROLE app WITH PASSWORD = '" + appPassword + "' AND LOGIN = true");
                cql.execute("GRANT SELECT ON KEYSPACE shop TO app");
                cql.execute("GRANT MODIFY ON KEYSPACE shop TO app");
            }
            for (int id = 1; id <= CUSTOMERS; id++) {
                cql.execute(
                        "INSERT INTO shop.customers (id, name, email) VALUES (?, ?, ?)",
                        id,
                        "Customer " + id,
                        "person" + id + "@example.com");
            }
            first = newestOrder(cql) >= 100 ? newestOrder(cql) : addOrders(cql, 100 - newestOrder(cql), "seed");
        }
        out.printf(
                "1. source %s: Cassandra on 127.0.0.1:%d, keyspace shop with %d customers and %d orders, role app%n",
                service, ports.get(0), CUSTOMERS, first);
        try (Forkrunner forkrunner = Forkrunner.boot(home, false)) {
            StoredBackup backup = forkrunner.bean(BackupKeeper.class).backup(service);
            out.printf(
                    "2. backup %s: the node snapshotted through JMX, its files copied and checked by SHA-256, with the"
                            + " schema and the roles, %d KB%n",
                    backup.id(), backup.sizeBytes() / 1024);
            int after;
            try (CassandraCql cql = CassandraCql.open(admin)) {
                after = addOrders(cql, 50, "after the backup");
            }
            out.printf(
                    "3. wrote orders up to id %d after the backup; a Cassandra fork holds a backup's moment%n", after);
            RunView run = forkNewestSnapshot(forkrunner);
            ForkRecord fork =
                    forkrunner.bean(ForkRegistry.class).find(run.fork()).orElseThrow();
            try (CassandraCql app =
                    CassandraCql.open(new Endpoint("127.0.0.1", fork.port(), "app", new Secret(appPassword)))) {
                int newest = newestOrder(app);
                out.printf(
                        "5. the fork holds %d orders, the newest id %d: the shop as of backup %s (the source has"
                                + " orders up to id %d)%n",
                        app.execute("SELECT COUNT(*) FROM shop.orders").get(0).getLong(0), newest, backup.id(), after);
                if (newest != first) {
                    throw new ForkrunnerException("the fork's newest order is " + newest + ", not " + first);
                }
                out.printf(
                        "   customers were masked on the fork by jobs/cql/mask.cql: %s%n",
                        app.execute("SELECT email FROM shop.customers WHERE id = 1")
                                .get(0)
                                .getString("email"));
            }
            printWhere(
                    fork,
                    run,
                    String.format(
                            "cqlsh 127.0.0.1 %d -u app -p \"$(cat %s)\" (or a driver: contact point 127.0.0.1:%d,"
                                    + " data center datacenter1, user app)",
                            fork.port(), secrets.resolve("app"), fork.port()));
            return run;
        }
    }

    /** Adds {@code count} orders after the newest; returns the newest id. */
    private static int addOrders(CassandraCql cql, int count, String note) {
        int newest = newestOrder(cql);
        for (int id = newest + 1; id <= newest + count; id++) {
            cql.execute("INSERT INTO shop.orders (id, customer, note) VALUES (?, ?, ?)", id, 1 + id % CUSTOMERS, note);
        }
        return newest + count;
    }

    /** The newest order's id; 0 when there is none. */
    private static int newestOrder(CassandraCql cql) {
        Integer newest = cql.execute("SELECT MAX(id) FROM shop.orders").get(0).get(0, Integer.class);
        return newest == null ? 0 : newest;
    }

    private void writeDefinitions(int port, int jmx) throws IOException {
        write("config/forkrunner.yml", metadata);
        write(
                "config/services.yml",
                "regions:\n  demo: { provisioner: local, root: var/regions/demo, ports: 16800-16879 }\n"
                        + "services:\n  " + service + ":\n    engine: cassandra\n    region: demo\n"
                        + "    host: 127.0.0.1\n    port: " + port + "\n    user: cassandra\n"
                        + "    password: ${file:var/secrets/source}\n"
                        + "    backups: { keep: 2 }\n    nodes:\n      - { address: 127.0.0.1, jmx: " + jmx + " }\n");
        write(
                "jobs/" + job + ".yml",
                "description: The demo's fork of the shop, customers masked\n"
                        + "source: " + service + "\ntarget:\n  name: " + service + "-{run}\n"
                        + "integrations:\n  - { type: cql, file: jobs/cql/mask.cql }\nretention:\n  keep: 2\n");
        StringBuilder mask = new StringBuilder("-- every customer's email masked on the fork\n");
        for (int id = 1; id <= CUSTOMERS; id++) {
            mask.append("UPDATE shop.customers SET email = 'customer-")
                    .append(id)
                    .append("@example.invalid' WHERE id = ")
                    .append(id)
                    .append(";\n");
        }
        write("jobs/cql/mask.cql", mask.toString());
    }
}
