package io.forkrunner.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestHome;
import io.forkrunner.testing.TestSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A service's password reaches its children only through 0600 passfiles: never their argv or environment, never a log,
 * never a metadata table.
 */
class SecretsStayHiddenTest {

    static final String PASSWORD = "Leak-canary-7f3a9c2e";
    static TestHome home;
    static TestSource source;

    @BeforeAll
    static void source() {
        home = TestHome.create("secrets");
        source = TestSource.start(home, "shop", PASSWORD);
        home.declareServices(
                Ports.range(10),
                source.serviceYaml("eu-local", "{ keep: 2, wal: stream }")
                        .replace("${file:var/secrets/shop}", "${env:SHOP_PASSWORD}"));
    }

    @AfterAll
    static void close() {
        home.close();
    }

    @Test
    void thePasswordAppearsInNoChildArgvOrEnvironmentNoLogAndNoMetadataTable() throws Exception {
        Map<String, String> environment = Map.of("SHOP_PASSWORD", PASSWORD);
        Set<String> seen = ConcurrentHashMap.newKeySet();
        AtomicBoolean sampling = new AtomicBoolean(true);
        List<Process> forkrunners = new CopyOnWriteArrayList<>();
        Thread sampler = new Thread(() -> {
            while (sampling.get()) {
                // jspawnhelper is the JVM's own launcher: for an instant, before it execs the child program, it
                // still has the JVM's environment; the child program never does. Nor does a child caught between
                // fork and exec, which still shows the JVM's own command line
                forkrunners.forEach(process -> process.descendants()
                        .map(SecretsStayHiddenTest::describe)
                        .filter(child -> !child.split(" ", 2)[0].endsWith("/jspawnhelper"))
                        .filter(child -> !child.split(" \\| ", 2)[0].contains("io.forkrunner.cli.Cli"))
                        .forEach(seen::add));
            }
        });
        sampler.start();
        try {
            forkrunners.add(home.start("serve", environment, "serve"));
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> home.read("var/log/serve.out").contains("archiving WAL of shop (pid"));
            Process backup = home.start("backup", environment, "backup", "shop");
            forkrunners.add(backup);
            assertThat(backup.waitFor(120, TimeUnit.SECONDS)).isTrue();
            assertThat(backup.exitValue()).as(home.read("var/log/backup.out")).isZero();
        } finally {
            sampling.set(false);
            sampler.join();
        }

        assertThat(seen).as("children seen").anyMatch(child -> child.contains("pg_basebackup"));
        assertThat(seen).anyMatch(child -> child.contains("pg_receivewal"));
        assertThat(seen).anyMatch(child -> child.contains("PGPASSFILE="));
        assertThat(seen).noneMatch(child -> child.contains(PASSWORD));
        assertThat(seen).noneMatch(child -> child.contains("SHOP_PASSWORD"));

        for (Path file : files(home.path("var"))) {
            if (file.startsWith(home.path("var/run"))) {
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                        .isEqualTo("rw-------");
            } else if (!file.startsWith(home.path("var/secrets")) && !file.startsWith(home.path("var/sources"))) {
                assertThat(new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1))
                        .as(file.toString())
                        .doesNotContain(PASSWORD);
            }
        }
        assertThat(metadataText(home)).contains("shop").doesNotContain(PASSWORD);
    }

    /** argv and environment of a process, as /proc shows them. */
    static String describe(ProcessHandle process) {
        try {
            Path proc = Path.of("/proc", String.valueOf(process.pid()));
            return new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8).replace('\0', ' ')
                    + " | "
                    + new String(Files.readAllBytes(proc.resolve("environ")), StandardCharsets.UTF_8)
                            .replace('\0', ' ');
        } catch (IOException ended) {
            return "";
        }
    }

    static List<Path> files(Path root) throws IOException {
        try (Stream<Path> tree = Files.walk(root)) {
            return tree.filter(Files::isRegularFile).toList();
        }
    }

    /** Every row of every table of the metadata database, as text. */
    static String metadataText(TestHome home) throws Exception {
        StringBuilder text = new StringBuilder();
        try (Connection connection = home.metadataConnection();
                Statement statement = connection.createStatement()) {
            List<String> tables = new ArrayList<>();
            try (ResultSet rows = statement.executeQuery(
                    "select quote_ident(table_name) from information_schema.tables where table_schema = 'public'")) {
                while (rows.next()) {
                    tables.add(rows.getString(1));
                }
            }
            assertThat(tables)
                    .contains("backups", "wal_archivers", "batch_job_execution_params", "batch_step_execution_context");
            for (String table : tables) {
                try (ResultSet rows = statement.executeQuery("select t::text from " + table + " t")) {
                    while (rows.next()) {
                        text.append(rows.getString(1)).append('\n');
                    }
                }
            }
        }
        return text.toString();
    }
}
