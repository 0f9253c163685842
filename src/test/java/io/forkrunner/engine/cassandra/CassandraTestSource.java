package io.forkrunner.engine.cassandra;

import io.forkrunner.engine.Endpoint;
import io.forkrunner.system.ProcessRunner;
import io.forkrunner.system.Secret;
import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestHome;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A Cassandra source cluster a test starts under its home ({@code var/sources/NAME/node-N}): {@code size} nodes on
 * 127.0.0.1, 127.0.0.2, ... with tokens spread evenly over the ring (one per node, or as many virtual nodes each as
 * asked, the nodes' in turn around the ring, as production clusters have them), one CQL port and one storage port for all, each
 * node its own JMX port; its superuser {@code cassandra} is given {@link #PASSWORD}, kept in {@code var/secrets/NAME}
 * for services.yml.
 */
final class CassandraTestSource implements AutoCloseable {

    static final String PASSWORD = "Source-pw-5a1c";

    private final List<CassandraNode> nodes;
    private final int cqlPort;

    private CassandraTestSource(List<CassandraNode> nodes, int cqlPort) {
        this.nodes = nodes;
        this.cqlPort = cqlPort;
    }

    /** Starts the cluster's nodes, one token each, one after another and sets its superuser's password. */
    static CassandraTestSource start(TestHome home, String name, int size) {
        return start(home, name, size, 1);
    }

    /**
     * Starts the cluster's nodes, {@code virtualNodes} tokens each, one after another and sets its superuser's
     * password.
     */
    static CassandraTestSource start(TestHome home, String name, int size, int virtualNodes) {
        ProcessRunner runner = new ProcessRunner(CassandraNode.serviceUser());
        int cqlPort = Ports.one();
        int storagePort = Ports.one();
        List<String> ring = CassandraNode.spreadTokens(size * virtualNodes);
        List<CassandraNode> nodes = new ArrayList<>();
        CassandraTestSource source = new CassandraTestSource(nodes, cqlPort);
        try {
            for (int i = 0; i < size; i++) {
                CassandraNode node = new CassandraNode(
                        runner,
                        CassandraNode.home(),
                        home.path("var/sources/" + name + "/node-" + (i + 1)),
                        new CassandraNode.Settings(
                                name,
                                "127.0.0." + (i + 1),
                                cqlPort,
                                storagePort,
                                Ports.one(),
                                tokensOf(ring, size, i),
                                List.of("127.0.0.1:" + storagePort),
                                Map.of("user_defined_functions_enabled", "true")));
                nodes.add(node);
                node.configure();
                node.start();
            }
            Endpoint initial = new Endpoint("127.0.0.1", cqlPort, "cassandra", new Secret("cassandra"));
            try (CassandraCql cql = CassandraCql.openWhenReady(initial, Duration.ofMinutes(2))) {
                cql.execute("ALTER ROLE cassandra WITH PASSWORD = '" + PASSWORD + "'");
            }
            // the node's cache of credentials may hold the old password for a while
            CassandraCql.openWhenReady(source.admin(), Duration.ofMinutes(1)).close();
            home.write("var/secrets/" + name, PASSWORD);
            return source;
        } catch (RuntimeException e) {
            source.close();
            throw e;
        }
    }

    /** The tokens of node {@code node} (from 0) of {@code size}: every size-th of the ring's, from its own. */
    static List<String> tokensOf(List<String> ring, int size, int node) {
        List<String> tokens = new ArrayList<>();
        for (int i = node; i < ring.size(); i += size) {
            tokens.add(ring.get(i));
        }
        return tokens;
    }

    Endpoint admin() {
        return new Endpoint("127.0.0.1", cqlPort, "cassandra", new Secret(PASSWORD));
    }

    List<CassandraNode> nodes() {
        return nodes;
    }

    /** The declaration of service {@code name} in services.yml: every node with its JMX port. */
    String serviceYaml(String name, String region, String backups) {
        StringBuilder yaml = new StringBuilder("""
                  %s:
                    engine: cassandra
                    region: %s
                    host: 127.0.0.1
                    port: %d
                    user: cassandra
                    password: ${file:var/secrets/%s}
                    backups: %s
                    nodes:
                """.formatted(name, region, cqlPort, name, backups));
        for (CassandraNode node : nodes) {
            yaml.append("      - { address: ")
                    .append(node.settings().address())
                    .append(", jmx: ")
                    .append(node.settings().jmxPort())
                    .append(" }\n");
        }
        return yaml.toString();
    }

    @Override
    public void close() {
        for (int i = nodes.size() - 1; i >= 0; i--) {
            nodes.get(i).stop();
        }
    }
}
