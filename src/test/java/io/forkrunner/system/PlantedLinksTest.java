package io.forkrunner.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.forkrunner.engine.postgresql.PostgresBinaries;
import io.forkrunner.engine.postgresql.PostgresServer;
import io.forkrunner.testing.CliResult;
import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestHome;
import io.forkrunner.testing.TestSource;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Forkrunner runs as root and hands files to the service user; links that user plants in the directories it may write
 * lead root nowhere: a root-owned sentinel they point to keeps its owner, mode and content through {@code serve},
 * {@code backup}, {@code run} and a start of a fork's pools.
 */
class PlantedLinksTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String SENTINEL_TEXT = "root's own file, never to be changed\n";

    private TestHome home;
    private Path sentinel;

    @BeforeEach
    void sentinel() throws Exception {
        home = TestHome.create("planted-links");
        sentinel = home.path("sentinel");
        Files.writeString(sentinel, SENTINEL_TEXT);
        Files.setPosixFilePermissions(sentinel, PosixFilePermissions.fromString("rw-r--r--"));
    }

    /** A source {@code shop} with a pool, and a job {@code copy} forking it. */
    private void sourceWithPool() {
        TestSource source = TestSource.start(home, "shop", "Shop-pw-6d1a");
        source.sql("create role app login password 'App-pw-3c9e'");
        source.sql("create database shop owner app");
        home.declareServices(
                Ports.range(20), source.serviceYaml("eu-local", "{ keep: 2, wal: stream }") + TestSource.appPool(2));
        home.job("copy", """
                source: shop
                target:
                  name: copy-{run}
                """);
    }

    @AfterEach
    void close() {
        home.close();
    }

    @Test
    void rootFollowsNoLinkTheServiceUserPlanted() throws Exception {
        sourceWithPool();
        List<String> directories = List.of("var/run", "var/backups/shop", "var/backups/shop/wal", "var/regions/eu");
        for (String directory : directories) {
            plant(home.path(directory).resolve("planted"));
        }

        Process serve = home.start("serve", Map.of(), "serve");
        await().atMost(Duration.ofMinutes(3))
                .ignoreExceptions()
                .until(() -> home.read("var/log/serve.out").contains("archiving WAL of shop (pid"));
        CliResult backup = home.cli("backup", "shop");
        assertThat(backup.exitCode()).as(backup.toString()).isZero();
        CliResult run = home.cli("run", "copy", "--json");
        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertSentinelUnchanged("after serve, backup and run");

        JsonNode fork = forkRecord(JSON.readTree(run.out()).path("fork").asText());
        Path forkDirectory = home.path("var/regions/eu/" + fork.path("name").asText());
        Path pgbouncer = forkDirectory.resolve("pgbouncer");
        serve.destroy();
        assertThat(serve.waitFor(60, TimeUnit.SECONDS)).isTrue();
        long pooler = Long.parseLong(
                Files.readString(pgbouncer.resolve("pgbouncer.pid")).strip());
        ProcessHandle.of(pooler).ifPresent(ProcessHandle::destroy);
        await().atMost(Duration.ofSeconds(30))
                .until(() ->
                        !ProcessHandle.of(pooler).map(ProcessHandle::isAlive).orElse(false));
        plant(forkDirectory.resolve("data/planted"));
        plant(pgbouncer.resolve("planted"));
        for (String file : List.of("pgbouncer.ini", "userlist.txt", "pgbouncer.out")) {
            Files.delete(pgbouncer.resolve(file));
            plant(pgbouncer.resolve(file));
        }

        home.start("serve-again", Map.of(), "serve");
        int poolPort = fork.path("poolPort").asInt();
        await().atMost(Duration.ofMinutes(3)).ignoreExceptions().untilAsserted(() -> {
            Properties app = new Properties();
            app.setProperty("user", "app");
            app.setProperty("password", "App-pw-3c9e");
            app.setProperty("preferQueryMode", "simple");
            try (Connection pooled =
                            DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + poolPort + "/app", app);
                    Statement statement = pooled.createStatement();
                    ResultSet rows = statement.executeQuery("select current_user")) {
                assertThat(rows.next()).isTrue();
                assertThat(rows.getString(1)).isEqualTo("app");
            }
        });
        assertSentinelUnchanged("after the pools started again");
        for (String file : List.of("pgbouncer.ini", "userlist.txt", "pgbouncer.out")) {
            assertThat(Files.isSymbolicLink(pgbouncer.resolve(file)))
                    .as("the planted link " + file + " is replaced by forkrunner's file")
                    .isFalse();
        }
    }

    @Test
    void settingsWrittenWhereALinkWasPlantedReplaceTheLinkAndLeaveWhatItPointsToAlone() throws Exception {
        ProcessRunner runner = new ProcessRunner(ServiceUser.detect());
        PostgresServer server =
                new PostgresServer(runner, PostgresBinaries.newest(), home.path("var/regions/eu/planted-settings"));
        int port = Ports.one();
        server.initialize(port, new Secret("Settings-pw-0b7e"), Map.of());
        Path settings = server.dataDirectory().resolve("forkrunner.conf");
        Files.delete(settings);
        plant(settings);
        plant(server.dataDirectory().resolve("planted"));

        server.writeSettings(port, Map.of("work_mem", "'8MB'"));
        runner.serviceUser().own(server.directory());

        assertSentinelUnchanged("after the settings were written");
        assertThat(Files.isSymbolicLink(settings)).isFalse();
        assertThat(Files.readString(settings)).contains("work_mem = '8MB'");
        assertThat(Files.getOwner(settings, LinkOption.NOFOLLOW_LINKS).getName())
                .isEqualTo(runner.serviceUser().name());
    }

    /** A link to the sentinel at {@code link}, owned by the service user as if it had made it. */
    private void plant(Path link) throws Exception {
        Files.createDirectories(link.getParent());
        Files.createSymbolicLink(link, sentinel);
        UserPrincipal postgres =
                link.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
        Files.getFileAttributeView(link, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                .setOwner(postgres);
    }

    private void assertSentinelUnchanged(String when) throws Exception {
        PosixFileAttributes attributes = Files.readAttributes(sentinel, PosixFileAttributes.class);
        assertThat(attributes.owner().getName()).as("owner " + when).isEqualTo("root");
        assertThat(PosixFilePermissions.toString(attributes.permissions()))
                .as("mode " + when)
                .isEqualTo("rw-r--r--");
        assertThat(Files.readString(sentinel)).as("content " + when).isEqualTo(SENTINEL_TEXT);
    }

    private JsonNode forkRecord(String name) {
        for (JsonNode fork : JSON.readTree(home.cli("forks", "--json").out())) {
            if (fork.path("name").asText().equals(name)) {
                return fork;
            }
        }
        throw new AssertionError("no fork " + name);
    }
}
