package io.forkrunner.backup;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkrunner.testing.CliResult;
import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestHome;
import io.forkrunner.testing.TestSource;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class BackupCommandTest {

    static TestHome home;
    static TestSource source;

    @BeforeAll
    static void declareSource() {
        home = TestHome.create("backup-command");
        source = TestSource.start(home, "shop", "Src-pw-4c1e");
        home.declareServices(Ports.range(10), source.serviceYaml("eu-local", "{ keep: 3, wal: stream }"));
    }

    @AfterAll
    static void close() {
        home.close();
    }

    @Test
    void aBackupOfAFreshSourceIsVerifiedAndListed() {
        CliResult backup = home.cli("backup", "shop");
        assertThat(backup.exitCode()).as(backup.toString()).isZero();

        CliResult listed = home.cli("backups", "shop", "--json");
        assertThat(listed.exitCode()).as(listed.toString()).isZero();
        JsonNode report = JsonMapper.builder().build().readTree(listed.out());
        JsonNode first = report.path("backups").path(0);
        assertThat(first.path("state").asText()).isEqualTo("VERIFIED");
        assertThat(first.path("verified").asBoolean()).isTrue();
        assertThat(first.path("startPosition").asText()).matches("[0-9A-F]+/[0-9A-F]+");
        assertThat(first.path("sizeBytes").asLong()).isPositive();
        Path directory = Path.of(first.path("directory").asText());
        assertThat(directory).startsWith(home.path("var/backups/shop"));
        assertThat(directory.resolve("backup_manifest")).exists();
        assertThat(report.path("window").path("from").asText())
                .isEqualTo(first.path("endedAt").asText());
    }

    @Test
    void anUnknownServiceIsBadInputNamingTheServicesThatExist() {
        CliResult result = home.cli("backup", "nosuch");
        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).contains("SERVICE", "\"nosuch\"", "shop");
    }

    @Test
    void aBackupThatFailsLeavesNoDirectoryAndIsRecordedAsFailed() throws Exception {
        source.sql("create role no_replication login password 'x'");
        home.write("var/secrets/weak", "x");
        home.write("config/services.yml", home.read("config/services.yml") + """
                  weak:
                    engine: postgresql
                    region: eu-local
                    host: 127.0.0.1
                    port: %d
                    user: no_replication
                    password: ${file:var/secrets/weak}
                    backups: { keep: 1, wal: none }
                """.formatted(source.port()));
        CliResult result = home.cli("backup", "weak");
        assertThat(result.exitCode()).as(result.toString()).isEqualTo(1);
        assertThat(result.err()).contains("pg_basebackup exited");
        Path base = home.path("var/backups/weak/base");
        try (var left = Files.list(base)) {
            assertThat(left).isEmpty();
        }
        CliResult listed = home.cli("backups", "weak", "--json");
        JsonNode report = JsonMapper.builder().build().readTree(listed.out());
        assertThat(report.path("backups").path(0).path("state").asText()).isEqualTo("FAILED");
        assertThat(report.path("window").isNull()).isTrue();
    }
}
