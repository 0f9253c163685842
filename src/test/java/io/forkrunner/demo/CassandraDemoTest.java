package io.forkrunner.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.cassandra.CassandraCql;
import io.forkrunner.system.Secret;
import io.forkrunner.testing.CliResult;
import io.forkrunner.testing.TestHome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code demo --engine cassandra}, apart from the other demos: a Cassandra node takes a while to start. */
class CassandraDemoTest {

    @Test
    void theCassandraDemoForksTheNewestBackupOfItsOwnNodeMaskedAndSaysHowToConnect() throws Exception {
        try (TestHome home = TestHome.create("demo-cassandra")) {
            CliResult demo = home.cli("demo", "--engine", "cassandra");
            assertThat(demo.exitCode()).as(demo.toString()).isZero();
            Matcher seeded = Pattern.compile("20 customers and (\\d+) orders").matcher(demo.out());
            Matcher wrote = Pattern.compile("wrote orders up to id (\\d+) after the backup")
                    .matcher(demo.out());
            assertThat(seeded.find() && wrote.find()).as(demo.out()).isTrue();
            assertThat(Integer.parseInt(wrote.group(1))).isGreaterThan(Integer.parseInt(seeded.group(1)));
            assertThat(demo.out())
                    .contains("run 1 of demo-fork-cassandra: COMPLETED")
                    .contains("the fork holds " + seeded.group(1) + " orders, the newest id " + seeded.group(1))
                    .contains("customer-1@example.invalid");
            Matcher connect = Pattern.compile("connect: cqlsh 127.0.0.1 (\\d+) -u app -p \"\\$\\(cat (\\S+)\\)\"")
                    .matcher(demo.out());
            assertThat(connect.find()).as(demo.out()).isTrue();
            Path password = Path.of(connect.group(2));
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(password)))
                    .isEqualTo("rw-------");
            Endpoint app = new Endpoint(
                    "127.0.0.1",
                    Integer.parseInt(connect.group(1)),
                    "app",
                    new Secret(Files.readString(password).strip()));
            try (CassandraCql cql = CassandraCql.open(app)) {
                assertThat(cql.execute("SELECT COUNT(*) FROM shop.orders")
                                .get(0)
                                .getLong(0))
                        .isEqualTo(Long.parseLong(seeded.group(1)));
            }
        }
    }
}
