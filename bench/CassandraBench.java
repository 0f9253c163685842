import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.cassandra.CassandraCql;
import io.forkrunner.engine.cassandra.CassandraNode;
import io.forkrunner.system.ProcessRunner;
import io.forkrunner.system.Secret;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The Cassandra clusters of bench/fork-vs-raw-cassandra.sh, run with forkrunner's classes (java SOURCE-FILE):
 *
 * <pre>
 *   source DIR CQL STORAGE JMX1 JMX2 JMX3 PASSWORD MB   three nodes on 127.0.0.1-3, tokens spread evenly; table
 *                                                      bench.data of MB megabytes in rows of 4 KB random bytes
 *   raw DIR BACKUP CQL STORAGE JMX1 JMX2 JMX3 HOME     the same steps as a fork, by hand: three nodes with the
 *                                                      backup's tokens, its schema created over CQL, each node's
 *                                                      files copied and loaded with nodetool import
 * </pre>
 */
public class CassandraBench {

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[1]);
        if (args[0].equals("source")) {
            int cql = Integer.parseInt(args[2]);
            List<CassandraNode> nodes = start(dir, "bench", cql, Integer.parseInt(args[3]), jmx(args, 4), tokens(3));
            try (CassandraCql first = CassandraCql.openWhenReady(
                    new Endpoint("127.0.0.1", cql, "cassandra", new Secret("cassandra")), Duration.ofMinutes(2))) {
                first.execute("ALTER ROLE cassandra WITH PASSWORD = '" + args[7] + "'");
            }
            // the node may take the old password for a couple of seconds more
            try (CassandraCql admin = CassandraCql.openWhenReady(
                    new Endpoint("127.0.0.1", cql, "cassandra", new Secret(args[7])), Duration.ofMinutes(1))) {
                admin.execute("CREATE KEYSPACE bench WITH replication = {'class': 'NetworkTopologyStrategy',"
                        + " 'datacenter1': 1}");
                admin.execute("CREATE TABLE bench.data (id int PRIMARY KEY, payload blob)");
                int rows = Integer.parseInt(args[8]) * 256;
                Random random = new Random(42);
                byte[] payload = new byte[4096];
                for (int id = 0; id < rows; id++) {
                    random.nextBytes(payload);
                    admin.execute("INSERT INTO bench.data (id, payload) VALUES (?, ?)", id, ByteBuffer.wrap(payload));
                }
                System.out.println("bench: source holds " + rows + " rows of 4 KB on " + nodes.size() + " nodes");
            }
            for (CassandraNode node : nodes) {
                try (var jmx = node.jmx()) {
                    jmx.flush("bench");
                }
            }
            return;
        }
        Path backup = Path.of(args[2]);
        JsonNode record = JsonMapper.builder().build().readTree(Files.readString(backup.resolve("backup.json")));
        List<List<String>> tokens = new ArrayList<>();
        for (JsonNode node : record.path("nodes")) {
            List<String> owned = new ArrayList<>();
            node.path("tokens").forEach(token -> owned.add(token.asString()));
            tokens.add(owned);
        }
        int cql = Integer.parseInt(args[3]);
        List<Integer> jmx = jmx(args, 5);
        start(dir, "raw", cql, Integer.parseInt(args[4]), jmx, tokens);
        try (CassandraCql admin =
                CassandraCql.openWhenReady(new Endpoint("127.0.0.1", cql, "cassandra", new Secret("cassandra")),
                        Duration.ofMinutes(2))) {
            JsonNode schema = record.path("schema");
            for (String keyspace : schema.propertyNames()) {
                for (JsonNode statement : schema.path(keyspace)) {
                    admin.execute(statement.asString());
                }
            }
        }
        Path home = Path.of(args[8]);
        JsonNode tables = record.path("tables");
        for (int node = 1; node <= tokens.size(); node++) {
            for (String table : tables.propertyNames()) {
                Path files = backup.resolve("nodes").resolve(String.valueOf(node)).resolve(table);
                String keyspace = tables.path(table).path("keyspace").asString();
                String name = tables.path(table).path("table").asString();
                Path copy = dir.resolve("import-" + node).resolve(keyspace).resolve(name);
                run(List.of("mkdir", "-p", copy.toString()));
                run(List.of("cp", "-r", "--no-target-directory", files.toString(), copy.toString()));
                run(List.of("chown", "-R", "cassandra", dir.resolve("import-" + node).toString()));
                List<String> nodetool = new ArrayList<>(List.of(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString()));
                // the JDK 17 options the server needs, which nodetool's own script gives it too
                for (String line : Files.readAllLines(home.resolve("conf/jvm17-server.options"))) {
                    if (line.strip().startsWith("-")) {
                        nodetool.addAll(List.of(line.strip().split("\\s+")));
                    }
                }
                nodetool.addAll(List.of(
                        "-cp",
                        home.resolve("lib") + "/*",
                        "org.apache.cassandra.tools.NodeTool",
                        "-h",
                        "127.0.0.1",
                        "-p",
                        String.valueOf(jmx.get(node - 1)),
                        "import",
                        keyspace,
                        name,
                        copy.toString()));
                run(nodetool);
            }
        }
        try (CassandraCql admin = CassandraCql.open(new Endpoint("127.0.0.1", cql, "cassandra", new Secret("cassandra")))) {
            for (String table : tables.propertyNames()) {
                String keyspace = tables.path(table).path("keyspace").asString();
                String name = tables.path(table).path("table").asString();
                System.out.println("bench: the raw fork holds "
                        + admin.count(keyspace, name)
                        + " rows in " + keyspace + "." + name);
            }
        }
    }

    private static List<Integer> jmx(String[] args, int from) {
        return List.of(Integer.parseInt(args[from]), Integer.parseInt(args[from + 1]), Integer.parseInt(args[from + 2]));
    }

    private static List<List<String>> tokens(int count) {
        return CassandraNode.spreadTokens(count).stream().map(List::of).toList();
    }

    /** Starts a node per token list in DIR/node-N on 127.0.0.N, one after another. */
    private static List<CassandraNode> start(
            Path dir, String cluster, int cql, int storage, List<Integer> jmx, List<List<String>> tokens) {
        List<CassandraNode> nodes = new ArrayList<>();
        for (int i = 0; i < tokens.size(); i++) {
            CassandraNode node = new CassandraNode(
                    new ProcessRunner(CassandraNode.serviceUser()),
                    CassandraNode.home(),
                    dir.resolve("node-" + (i + 1)),
                    new CassandraNode.Settings(
                            cluster,
                            "127.0.0." + (i + 1),
                            cql,
                            storage,
                            jmx.get(i),
                            tokens.get(i),
                            List.of("127.0.0.1:" + storage),
                            Map.of()));
            node.configure();
            node.start();
            nodes.add(node);
        }
        return nodes;
    }

    private static void run(List<String> argv) throws Exception {
        Process process = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        if (process.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", argv) + " failed:\n" + output);
        }
    }
}
