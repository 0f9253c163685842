package io.forkrunner.engine.mariadb;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkrunner.system.ProcessRunner;
import io.forkrunner.system.Secret;
import io.forkrunner.testing.CliResult;
import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestHome;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A MariaDB backup damaged after it was verified is verified again before a run restores it: innochecksum finds the
 * page, the run is refused at pick backup naming the file, and the backup is marked FAILED.
 */
class MariaDbCorruptBackupTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String PASSWORD = "Damaged-pw-4b1e";
    private static final int PAGE = 16 * 1024;

    static TestHome home;
    static MariaDbServer server;

    @BeforeAll
    static void source() throws Exception {
        home = TestHome.create("mariadb-corrupt");
        server = new MariaDbServer(
                new ProcessRunner(MariaDbServer.serviceUser()),
                MariaDbBinaries.debian(),
                home.path("var/sources/damaged"));
        int port = Ports.one();
        server.initialize(new Secret(PASSWORD));
        server.start(port, 1, Map.of("innodb-buffer-pool-size", "64M"));
        home.write("var/secrets/damaged", PASSWORD);
        Properties login = new Properties();
        login.setProperty("user", "root");
        login.setProperty("password", PASSWORD);
        try (Connection admin = DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + port + "/", login);
                Statement statement = admin.createStatement()) {
            statement.execute("create database shop");
            statement.execute("create table shop.items (id int primary key, note varchar(64))");
            statement.execute("insert into shop.items select seq, md5(seq) from shop.seq_1_to_5000");
        }
        home.declareServices(Ports.range(10), """
                  damaged:
                    engine: mariadb
                    region: eu-local
                    host: 127.0.0.1
                    port: %d
                    user: root
                    password: ${file:var/secrets/damaged}
                    backups: { keep: 2, wal: none }
                """.formatted(port));
        home.job("damaged", """
                source: damaged
                database: shop
                target:
                  name: damaged-{run}
                """);
    }

    @AfterAll
    static void close() {
        try {
            server.stop();
        } finally {
            home.close();
        }
    }

    @Test
    void eightBytesOverwrittenInATableFileRefuseTheRunNamingTheFileAndMarkTheBackupFailed() throws Exception {
        home.backUp("damaged");
        String id = JSON.readTree(home.cli("backups", "damaged", "--json").out())
                .path("backups")
                .path(0)
                .path("id")
                .asText();
        Path table = home.path("var/backups/damaged/base/" + id).resolve("shop/items.ibd");
        assertThat(Files.size(table)).isGreaterThan(4L * PAGE);
        try (RandomAccessFile file = new RandomAccessFile(table.toFile(), "rw")) {
            file.seek(3L * PAGE + 200); // inside the table's first index page, which holds rows
            file.write("DAMAGED!".getBytes(StandardCharsets.US_ASCII));
        }

        CliResult refused = home.cli("run", "damaged", "--json");
        assertThat(refused.exitCode()).as(refused.toString()).isEqualTo(1);
        JsonNode run = JSON.readTree(refused.out());
        assertThat(TestHome.step(run, "restore-data").path("state").asText()).isEqualTo("FAILED");
        assertThat(TestHome.step(run, "restore-data").path("error").asText())
                .contains(id, "checksum mismatch in shop/items.ibd", "marked FAILED");
        assertThat(TestHome.step(run, "copy-configuration").path("state").asText())
                .isEqualTo("PENDING");
        assertThat(home.cli("backups", "damaged").out()).contains(id + "  FAILED");
    }
}
