package io.forkrunner.engine.cassandra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.datastax.oss.driver.api.core.cql.Row;
import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.EngineContractTest;
import io.forkrunner.testing.TestHome;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;
import javax.management.Attribute;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The engine contract for Cassandra, on a one-node source cluster of virtual nodes: without point in time (a fork holds the newest
 * backup taken by then). The records are the rows of table {@code shop.records}; the reader is a role allowed to
 * select in keyspace {@code shop}; the setting is the compaction throughput, as {@code nodetool
 * setcompactionthroughput} sets it (through JMX).
 */
class CassandraContractTest extends EngineContractTest {

    /** The tokens of the source's node: virtual nodes, as production clusters have. */
    private static final int VIRTUAL_NODES = 8;

    private CassandraTestSource cluster;

    @Override
    protected boolean scheduledInContract() {
        return true;
    }

    @Override
    protected Source startSource(TestHome home, String name) {
        cluster = CassandraTestSource.start(home, name, 1, VIRTUAL_NODES);
        return new Source() {
            @Override
            public Endpoint admin() {
                return cluster.admin();
            }

            @Override
            public String serviceYaml(String service, String region, String backups) {
                return cluster.serviceYaml(service, region, backups);
            }

            @Override
            public void stop() {
                cluster.close();
            }
        };
    }

    @Override
    protected boolean pointInTime() {
        return false;
    }

    /** Recovering: the fork's nodes start, then its schema, rows and roles come. */
    @Override
    protected boolean layingDown(JsonNode step) {
        return step.path("state").asText().equals("STARTED")
                && step.path("checkpoint").asText("").equals("laid-down");
    }

    @Override
    protected String database() {
        return null;
    }

    @Override
    protected void createRecordStore(Endpoint admin) {
        try (CassandraCql cql = CassandraCql.open(admin)) {
            cql.execute("CREATE KEYSPACE shop WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
            cql.execute("CREATE TABLE shop.records (id int PRIMARY KEY, note text)");
            // rows that expire by their writes' own TTL, which the table's settings do not tell
            cql.execute("CREATE TABLE shop.sessions (id int PRIMARY KEY, holder text)");
            cql.execute("INSERT INTO shop.sessions (id, holder) VALUES (1, 'kept a day') USING TTL 86400");
            cql.execute("INSERT INTO shop.sessions (id, holder) VALUES (2, 'kept')");
        }
    }

    /**
     * A table whose rows were written with a TTL of their own is found so in the backup's sstables, and its rows are
     * counted on the fork but not compared, saying why; the records are compared.
     */
    @Test
    @Order(3)
    void aTableWithRowsWrittenWithATtlIsCountedButNotComparedSayingWhy() {
        assertThat(comparedWithBackup())
                .contains("rows in 2 tables, as many as their source held at the backup except in shop.sessions"
                        + " (some of its rows were written with a TTL of their own (up to 86400 s): they may expire"
                        + " between the backup and a fork), whose rows were counted but not compared");
    }

    /** The scheduled fork takes none of the source's passwords but its administrator's. */
    @Override
    protected String scheduledJobYaml() {
        return "users: none\n";
    }

    /** The reader is on the fork, but its password no longer logs in; the administrator's does. */
    @Override
    protected void checkScheduledFork(Endpoint fork, Endpoint reader) {
        assertThat(users(fork)).anyMatch(user -> user.startsWith("reader "));
        assertThatThrownBy(() -> CassandraCql.open(reader).close())
                .hasMessageContaining("cannot log in")
                .hasMessageContaining("Provided username reader and/or password are incorrect");
    }

    /**
     * The source's node owns {@link #VIRTUAL_NODES} tokens, and so does the fork's: the same ones, as each node says of
     * itself, and as the fork's comparison with its backup found.
     */
    @Test
    @Order(3)
    void theForksNodeOwnsTheVirtualNodesOfTheSourcesNode() {
        assertThat(tokens(fork(cluster.admin()))).hasSize(VIRTUAL_NODES).isEqualTo(tokens(cluster.admin()));
        assertThat(comparedWithBackup()).startsWith("equal: 1 node owning the backup's " + VIRTUAL_NODES + " tokens; ");
    }

    /** The tokens of a one-node cluster's node. */
    private static SortedSet<String> tokens(Endpoint node) {
        try (CassandraCql cql = CassandraCql.open(node)) {
            return new TreeSet<>(
                    cql.execute("SELECT tokens FROM system.local").get(0).getSet("tokens", String.class));
        }
    }

    @Override
    protected void insert(Endpoint admin, int from, int to) {
        try (CassandraCql cql = CassandraCql.open(admin)) {
            for (int id = from; id <= to; id++) {
                cql.execute("INSERT INTO shop.records (id, note) VALUES (?, ?)", id, note(id));
            }
        }
    }

    @Override
    protected List<String> records(Endpoint server) {
        List<String> records = new ArrayList<>();
        try (CassandraCql cql = CassandraCql.open(server)) {
            for (Row row : cql.execute("SELECT id, note FROM shop.records")) {
                records.add(row.getInt("id") + "|" + row.getString("note"));
            }
        }
        return records;
    }

    @Override
    protected void createReader(Endpoint admin, String password) {
        try (CassandraCql cql = CassandraCql.open(admin)) {
            cql.execute("CREATE ROLE reader WITH PASSWORD = '" + password + "' AND LOGIN = true");
            cql.execute("GRANT SELECT ON KEYSPACE shop TO reader");
        }
    }

    @Override
    protected int readerReads(Endpoint reader) {
        try (CassandraCql cql = CassandraCql.open(reader)) {
            return (int) cql.execute("SELECT id, note FROM shop.records").stream()
                    .filter(row -> note(row.getInt("id")).equals(row.getString("note")))
                    .count();
        }
    }

    @Override
    protected Map.Entry<String, String> nonDefaultSetting() {
        return Map.entry("compaction_throughput", "24MiB/s");
    }

    /** As {@code nodetool setcompactionthroughput 24} does: through the node's JMX. */
    @Override
    protected void setSetting(Endpoint admin, String name, String value) throws Exception {
        int mebibytes = Integer.parseInt(value.replace("MiB/s", ""));
        int port = cluster.nodes().get(0).settings().jmxPort();
        try (JMXConnector jmx = JMXConnectorFactory.connect(
                new JMXServiceURL("service:jmx:rmi:///jndi/rmi://127.0.0.1:" + port + "/jmxrmi"))) {
            // a getter and setter pair: an attribute to JMX
            jmx.getMBeanServerConnection()
                    .setAttribute(
                            new ObjectName("org.apache.cassandra.db:type=StorageService"),
                            new Attribute("CompactionThroughputMbPerSec", mebibytes));
        }
    }

    @Override
    protected String readSetting(Endpoint admin, String name) {
        try (CassandraCql cql = CassandraCql.open(admin)) {
            return cql.execute("SELECT value FROM system_views.settings WHERE name = ?", name)
                    .get(0)
                    .getString("value");
        }
    }

    /** Each role with its flags, memberships, permissions and a digest of its hash, as the backup records them. */
    @Override
    protected SortedSet<String> users(Endpoint admin) {
        SortedSet<String> users = new TreeSet<>();
        try (CassandraCql cql = CassandraCql.open(admin)) {
            JsonNode roles = CassandraRoles.read(cql);
            for (String name : roles.propertyNames()) {
                users.add(name + " " + roles.path(name));
            }
        }
        return users;
    }
}
