package io.forkrunner.engine.cassandra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import io.forkrunner.engine.cassandra.CassandraNode.Settings;
import io.forkrunner.system.DirectoryTree;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.ProcessRunner;
import io.forkrunner.system.ServiceUser;
import io.forkrunner.testing.Ports;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * Cassandra nodes as forkrunner runs them: child JVMs from the assembled home, as the cassandra OS user when the tests
 * run as root, reached over CQL (with a password) and over JMX.
 */
class CassandraNodeTest {

    /** The default superuser appears some seconds after the node serves. */
    private static final Duration FIRST_LOGIN = Duration.ofMinutes(2);

    private Path root;
    private final List<CassandraNode> nodes = new ArrayList<>();

    @BeforeEach
    void aDirectoryTheServiceUserMayEnter() throws IOException {
        root = Path.of(
                        "target",
                        "test-homes",
                        "cassandra-" + UUID.randomUUID().toString().substring(0, 8))
                .toAbsolutePath();
        Files.createDirectories(root);
        for (Path path = root; !path.equals(Path.of("").toAbsolutePath()); path = path.getParent()) {
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    @AfterEach
    void stopEveryNode() {
        try {
            nodes.forEach(CassandraNode::stop);
        } finally {
            DirectoryTree.delete(root);
        }
    }

    @Test
    void aNodeServesCqlWithPasswordsSnapshotsAndImportsThroughJmxAndStopsByItsPid() throws IOException {
        String token = CassandraNode.spreadTokens(1).get(0);
        int storagePort = Ports.one();
        CassandraNode node = node(
                "single",
                new Settings(
                        "single",
                        "127.0.0.1",
                        Ports.one(),
                        storagePort,
                        Ports.one(),
                        List.of(token),
                        List.of("127.0.0.1:" + storagePort),
                        Map.of("concurrent_compactors", "1")));
        node.configure();
        long started = System.nanoTime();
        node.start();
        System.out.printf(
                "the Cassandra node served after %d s%n",
                Duration.ofNanos(System.nanoTime() - started).toSeconds());
        long pid = node.pid().orElseThrow();

        try (CassandraJmx jmx = node.jmx();
                CqlSession cql = login(node)) {
            assertThat(jmx.operationMode()).isEqualTo("NORMAL");
            assertThat(jmx.tokens()).containsExactly(token);
            assertThat(jmx.liveNodes()).containsExactly("127.0.0.1");
            assertThat(cql.execute("SELECT value FROM system_views.settings WHERE name = 'concurrent_compactors'")
                            .one()
                            .getString("value"))
                    .as("a further setting")
                    .isEqualTo("1");

            cql.execute("CREATE KEYSPACE shop WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
            cql.execute("CREATE TABLE shop.items (id int PRIMARY KEY, name text)");
            for (int id = 1; id <= 100; id++) {
                cql.execute("INSERT INTO shop.items (id, name) VALUES (?, ?)", id, "item " + id);
            }
            jmx.flush("shop");
            jmx.snapshot("fork-1", List.of("shop"));

            List<Path> snapshots = jmx.dataFileLocations().stream()
                    .flatMap(location -> tableDirectories(location.resolve("shop")))
                    .filter(table -> table.getFileName().toString().startsWith("items-"))
                    .map(table -> table.resolve("snapshots").resolve("fork-1"))
                    .filter(Files::isDirectory)
                    .toList();
            assertThat(snapshots).hasSize(1);
            Path snapshot = snapshots.get(0);
            assertThat(fileNames(snapshot))
                    .contains("manifest.json", "schema.cql")
                    .anyMatch(name -> name.endsWith("-Data.db"));

            // a copy of the snapshot, imported into the emptied table: the rows come back, the copy stays
            ServiceUser user = CassandraNode.serviceUser();
            Path copy = user.privateDirectory(root.resolve("import/shop/items"));
            try (Stream<Path> files = Files.list(snapshot)) {
                for (Path file : files.toList()) {
                    Files.copy(file, copy.resolve(file.getFileName()));
                }
            }
            user.own(root.resolve("import"));
            cql.execute("TRUNCATE shop.items");
            assertThat(count(cql)).isZero();
            jmx.importSSTables("shop", "items", List.of(copy));
            assertThat(count(cql)).isEqualTo(100);
            assertThat(fileNames(copy)).anyMatch(name -> name.endsWith("-Data.db"));

            jmx.clearSnapshot("fork-1", List.of("shop"));
            assertThat(snapshot).doesNotExist();
        }

        node.stop();
        assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).isEmpty();
        assertThat(node.isRunning()).isFalse();
    }

    @Test
    void twoNodesOnTwoLoopbackAddressesWithTheSamePortsSeeEachOtherLiveAndNormal() {
        List<String> tokens = CassandraNode.spreadTokens(2);
        int nativePort = Ports.one();
        int storagePort = Ports.one();
        List<CassandraNode> cluster = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            String address = "127.0.0." + (i + 1);
            cluster.add(node(
                    "node-" + (i + 1),
                    new Settings(
                            "pair",
                            address,
                            nativePort,
                            storagePort,
                            Ports.one(),
                            List.of(tokens.get(i)),
                            List.of("127.0.0.1"),
                            Map.of())));
        }
        for (CassandraNode node : cluster) {
            node.configure();
            node.start();
        }

        Map<String, String> ring = Map.of(tokens.get(0), "127.0.0.1", tokens.get(1), "127.0.0.2");
        for (CassandraNode node : cluster) {
            try (CassandraJmx jmx = node.jmx()) {
                await().atMost(Duration.ofMinutes(2)).untilAsserted(() -> {
                    assertThat(jmx.liveNodes()).containsExactlyInAnyOrder("127.0.0.1", "127.0.0.2");
                    assertThat(jmx.unreachableNodes()).isEmpty();
                    assertThat(jmx.joiningNodes()).isEmpty();
                    assertThat(jmx.ring()).isEqualTo(ring);
                });
                assertThat(jmx.operationMode()).isEqualTo("NORMAL");
                assertThat(jmx.tokens())
                        .containsExactlyElementsOf(node.settings().tokens());
            }
        }
    }

    @Test
    void aNodeThatCannotStartSaysWhyFromItsLog() {
        int storagePort = Ports.one();
        CassandraNode node = node(
                "refused",
                new Settings(
                        "refused",
                        "127.0.0.1",
                        Ports.one(),
                        storagePort,
                        Ports.one(),
                        List.of("0"),
                        List.of("127.0.0.1"),
                        Map.of("no_such_setting", "1")));
        node.configure();

        assertThatThrownBy(node::start)
                .isInstanceOf(ForkrunnerException.class)
                .hasMessageContaining("stopped before it served")
                .hasMessageContaining("no_such_setting");
        assertThat(node.isRunning()).isFalse();
    }

    @Test
    void noValueBreaksTheConfigurationAndForkrunnersOwnSettingsStayItsOwn() {
        String cluster = "a \"cluster\" # named: \\ with\na line\u0007 and ü";
        Settings settings = new Settings(
                cluster,
                "127.0.0.3",
                9042,
                7000,
                7199,
                List.of("0"),
                List.of("127.0.0.1:7000", "127.0.0.2"),
                Map.of("compaction_throughput", "32MiB/s\nauthenticator: AllowAllAuthenticator"));
        CassandraNode node = new CassandraNode(
                new ProcessRunner(CassandraNode.serviceUser()), CassandraNode.home(), root.resolve("n"), settings);

        Map<String, Object> yaml = new Yaml().load(node.yaml());

        assertThat(yaml)
                .containsEntry("cluster_name", cluster)
                .containsEntry("authenticator", "PasswordAuthenticator")
                .containsEntry("authorizer", "CassandraAuthorizer")
                .containsEntry("compaction_throughput", "32MiB/s\nauthenticator: AllowAllAuthenticator")
                .containsEntry("endpoint_snitch", "GossipingPropertyFileSnitch")
                .containsEntry("initial_token", "0")
                .containsEntry("num_tokens", "1")
                .containsEntry("listen_address", "127.0.0.3")
                .containsEntry(
                        "data_file_directories", List.of(root.resolve("n/data").toString()));
        assertThat(yaml.get("seed_provider").toString()).contains("seeds=127.0.0.1:7000,127.0.0.2");

        assertThatThrownBy(() -> new Settings(
                        "c",
                        "127.0.0.1",
                        1,
                        2,
                        3,
                        List.of("0"),
                        List.of("127.0.0.1"),
                        Map.of("authenticator", "AllowAll")))
                .hasMessageContaining("forkrunner's");
        assertThatThrownBy(() -> new Settings(
                        "c", "127.0.0.1", 1, 2, 3, List.of("0"), List.of("127.0.0.1"), Map.of("a: b\nc", "d")))
                .hasMessageContaining("not the name");
        assertThatThrownBy(() ->
                        new Settings("c", "127.0.0.1", 1, 2, 3, List.of("0"), List.of("127.0.0.1,127.0.0.9"), Map.of()))
                .hasMessageContaining("not a seed");
        assertThatThrownBy(() -> new Settings("c", "localhost", 1, 2, 3, List.of("0"), List.of("127.0.0.1"), Map.of()))
                .hasMessageContaining("not an IPv4 address");
    }

    private CassandraNode node(String name, Settings settings) {
        assertThat(CassandraNode.home().resolve("lib"))
                .as("a Cassandra home; run-tests assembles it with mvn -f src/cassandra/pom.xml package")
                .isDirectory();
        CassandraNode node = new CassandraNode(
                new ProcessRunner(CassandraNode.serviceUser()), CassandraNode.home(), root.resolve(name), settings);
        nodes.add(node);
        return node;
    }

    /** A CQL session as the default superuser, once the node has made it. */
    private static CqlSession login(CassandraNode node) {
        DriverConfigLoader config = DriverConfigLoader.programmaticBuilder()
                .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, Duration.ofSeconds(30))
                .withDuration(DefaultDriverOption.CONNECTION_INIT_QUERY_TIMEOUT, Duration.ofSeconds(10))
                .withDuration(DefaultDriverOption.CONTROL_CONNECTION_TIMEOUT, Duration.ofSeconds(10))
                .withDuration(DefaultDriverOption.CONTROL_CONNECTION_AGREEMENT_TIMEOUT, Duration.ofSeconds(30))
                .build();
        CqlSession[] session = new CqlSession[1];
        await().atMost(FIRST_LOGIN)
                .pollInterval(Duration.ofSeconds(1))
                .ignoreExceptions()
                .until(() -> {
                    session[0] = CqlSession.builder()
                            .withConfigLoader(config)
                            .addContactPoint(new InetSocketAddress(
                                    node.settings().address(), node.settings().nativePort()))
                            .withLocalDatacenter("datacenter1")
                            .withAuthCredentials("cassandra", "cassandra")
                            .build();
                    return true;
                });
        return session[0];
    }

    private static long count(CqlSession cql) {
        return cql.execute("SELECT count(*) FROM shop.items").one().getLong(0);
    }

    private static Stream<Path> tableDirectories(Path keyspace) {
        try {
            return Files.isDirectory(keyspace) ? Files.list(keyspace).toList().stream() : Stream.empty();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> fileNames(Path directory) throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            return files.map(file -> file.getFileName().toString()).toList();
        }
    }
}
