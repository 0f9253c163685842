package io.forkrunner.engine.cassandra;

import io.forkrunner.engine.Endpoint;
import io.forkrunner.system.Command;
import io.forkrunner.system.ProcessRunner;
import io.forkrunner.system.Secret;
import io.forkrunner.system.ServiceUser;
import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestCertificates;
import io.forkrunner.testing.TestHome;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
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
public final class CassandraTestSource implements AutoCloseable {

    static final String PASSWORD = "Source-pw-5a1c";

    private static final String KEYSTORE_PASSWORD = "keystore-pw";

    private final List<CassandraNode> nodes;
    private final int cqlPort;
    private final TestCertificates.Certificate certificate;

    private CassandraTestSource(List<CassandraNode> nodes, int cqlPort, TestCertificates.Certificate certificate) {
        this.nodes = nodes;
        this.cqlPort = cqlPort;
        this.certificate = certificate;
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
        return start(home, name, size, virtualNodes, null);
    }

    /**
     * Starts a cluster of one node whose CQL clients must use TLS, as a service on Aiven's do: the node's certificate
     * is {@code certificate}, which must name 127.0.0.1 for the test to set the superuser's password.
     */
    public static CassandraTestSource startOverTls(
            TestHome home, String name, TestCertificates.Certificate certificate) {
        return start(home, name, 1, 1, certificate);
    }

    private static CassandraTestSource start(
            TestHome home, String name, int size, int virtualNodes, TestCertificates.Certificate certificate) {
        ProcessRunner runner = new ProcessRunner(CassandraNode.serviceUser());
        int cqlPort = Ports.one();
        int storagePort = Ports.one();
        List<String> ring = CassandraNode.spreadTokens(size * virtualNodes);
        List<CassandraNode> nodes = new ArrayList<>();
        CassandraTestSource source = new CassandraTestSource(nodes, cqlPort, certificate);
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
                if (certificate != null) {
                    requireTls(node, certificate);
                }
                node.start();
            }
            Endpoint initial = source.login(new Secret("cassandra"));
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

    /**
     * Has {@code node} take CQL clients over TLS only, its certificate {@code certificate} (and its key) in a PKCS12
     * keystore beside them.
     */
    private static void requireTls(CassandraNode node, TestCertificates.Certificate certificate) {
        Path keystore = certificate.certificate().resolveSibling("server.p12");
        new ProcessRunner(ServiceUser.detect())
                .run(Command.of(
                                "openssl",
                                "pkcs12",
                                "-export",
                                "-in",
                                certificate.certificate().toString(),
                                "-inkey",
                                certificate.key().toString(),
                                "-out",
                                keystore.toString(),
                                "-passout",
                                "pass:" + KEYSTORE_PASSWORD)
                        .loggingTo(certificate.certificate().resolveSibling("pkcs12.log")));
        try {
            Files.setPosixFilePermissions(keystore, PosixFilePermissions.fromString("rw-r--r--"));
            Files.writeString(node.configFile(), """
                    client_encryption_options:
                      enabled: true
                      optional: false
                      keystore: %s
                      keystore_password: %s
                      store_type: PKCS12
                    """.formatted(keystore, KEYSTORE_PASSWORD), StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
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

    /** The superuser's login on the first node, over TLS verified against the node's certificate if it has one. */
    public Endpoint admin() {
        return login(new Secret(PASSWORD));
    }

    private Endpoint login(Secret password) {
        Endpoint login = new Endpoint("127.0.0.1", cqlPort, "cassandra", password);
        return certificate == null ? login : login.verifiedBy(certificate.pem());
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

    /** The port every node takes CQL clients on. */
    public int cqlPort() {
        return cqlPort;
    }

    @Override
    public void close() {
        for (int i = nodes.size() - 1; i >= 0; i--) {
            nodes.get(i).stop();
        }
    }
}
