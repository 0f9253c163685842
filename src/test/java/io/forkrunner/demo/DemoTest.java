package io.forkrunner.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkrunner.testing.CliResult;
import io.forkrunner.testing.TestHome;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class DemoTest {

    @Test
    void theDemoForksItsOwnSourceToAPointBetweenTwoWritesAndSaysSo() {
        try (TestHome home = TestHome.create("demo")) {
            CliResult first = home.cli("demo");
            assertThat(first.exitCode()).as(first.toString()).isZero();
            Matcher wrote = Pattern.compile("wrote orders up to id (\\d+), then chose the point in time (\\S+),"
                            + " then wrote up to id (\\d+)")
                    .matcher(first.out());
            assertThat(wrote.find()).as(first.out()).isTrue();
            assertThat(first.out())
                    .contains("run 1 of demo-fork: COMPLETED")
                    .contains("the fork holds " + wrote.group(1) + " orders, the newest id " + wrote.group(1))
                    .contains("(the source has orders up to id " + wrote.group(3) + ")")
                    .contains("customer-1@example.invalid")
                    .containsPattern("its pool app on 127\\.0\\.0\\.1:\\d+")
                    .contains("psql \"host=127.0.0.1");

            CliResult again = home.cli("demo");
            assertThat(again.exitCode())
                    .as("a second demo reuses its source: " + again)
                    .isZero();
            assertThat(again.out()).contains("run 2 of demo-fork: COMPLETED");
        }
    }

    @Test
    void theMariaDbDemoForksItsOwnMariaDbSourceToAPointBetweenTwoWritesAndSaysHowToConnect() throws Exception {
        try (TestHome home = TestHome.create("demo-mariadb")) {
            CliResult unknown = home.cli("demo", "--engine", "oracle");
            assertThat(unknown.exitCode()).as(unknown.toString()).isEqualTo(2);
            assertThat(unknown.err()).contains("--engine", "oracle", "postgresql", "mariadb");
            assertThat(home.path("var/demo-mariadb")).doesNotExist();

            CliResult demo = home.cli("demo", "--engine", "mariadb");
            assertThat(demo.exitCode()).as(demo.toString()).isZero();
            Matcher wrote = Pattern.compile("wrote orders up to id (\\d+), then chose the point in time (\\S+),"
                            + " then wrote up to id (\\d+)")
                    .matcher(demo.out());
            assertThat(wrote.find()).as(demo.out()).isTrue();
            assertThat(Integer.parseInt(wrote.group(3))).isGreaterThan(Integer.parseInt(wrote.group(1)));
            assertThat(demo.out())
                    .contains("MariaDB on 127.0.0.1:")
                    .contains("run 1 of demo-fork-mariadb: COMPLETED")
                    .contains("the fork holds " + wrote.group(1) + " orders, the newest id " + wrote.group(1))
                    .contains("customer-1@example.invalid");
            Matcher connect = Pattern.compile("connect: mariadb --defaults-extra-file=(\\S+) --host=127\\.0\\.0\\.1"
                            + " --port=(\\d+) shop")
                    .matcher(demo.out());
            assertThat(connect.find()).as(demo.out()).isTrue();
            Path options = Path.of(connect.group(1));
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(options)))
                    .isEqualTo("rw-------");
            Process client = new ProcessBuilder(
                            "mariadb",
                            "--defaults-extra-file=" + options,
                            "--host=127.0.0.1",
                            "--port=" + connect.group(2),
                            "--batch",
                            "--skip-column-names",
                            "--execute=select max(id) from orders",
                            "shop")
                    .redirectErrorStream(true)
                    .start();
            String newest = new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            assertThat(client.waitFor()).as(newest).isZero();
            assertThat(newest).isEqualTo(wrote.group(1));
        }
    }

    @Test
    void theRedisDemoForksTheNewestSnapshotOfItsOwnRedisSourceMaskedAndSaysHowToConnect() throws Exception {
        try (TestHome home = TestHome.create("demo-redis")) {
            CliResult demo = home.cli("demo", "--engine", "redis");
            assertThat(demo.exitCode()).as(demo.toString()).isZero();
            Matcher seeded =
                    Pattern.compile("the shop's 20 customers and (\\d+) orders").matcher(demo.out());
            Matcher wrote = Pattern.compile("wrote orders up to id (\\d+) after the snapshot")
                    .matcher(demo.out());
            assertThat(seeded.find() && wrote.find()).as(demo.out()).isTrue();
            assertThat(Integer.parseInt(wrote.group(1))).isGreaterThan(Integer.parseInt(seeded.group(1)));
            assertThat(demo.out())
                    .contains("run 1 of demo-fork-redis: COMPLETED")
                    .contains("the fork holds " + seeded.group(1) + " orders, the newest id " + seeded.group(1))
                    .contains("customer-1@example.invalid");
            Matcher connect = Pattern.compile("connect: redis-cli -p (\\d+) --user app --askpass < (\\S+)")
                    .matcher(demo.out());
            assertThat(connect.find()).as(demo.out()).isTrue();
            Path password = Path.of(connect.group(2));
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(password)))
                    .isEqualTo("rw-------");
            Process client = new ProcessBuilder(
                            "redis-cli", "-p", connect.group(1), "--user", "app", "--askpass", "ZCARD", "shop:orders")
                    .redirectInput(password.toFile())
                    .redirectErrorStream(true)
                    .start();
            String orders = new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            assertThat(client.waitFor()).as(orders).isZero();
            assertThat(orders).endsWith(seeded.group(1));
        }
    }

    @Test
    void theOpenSearchDemoForksTheNewestSnapshotOfItsOwnNodeMaskedAndSaysHowToConnect() throws Exception {
        try (TestHome home = TestHome.create("demo-opensearch")) {
            CliResult demo = home.cli("demo", "--engine", "opensearch");
            assertThat(demo.exitCode()).as(demo.toString()).isZero();
            Matcher seeded =
                    Pattern.compile("the shop's 20 customers and (\\d+) orders").matcher(demo.out());
            Matcher wrote = Pattern.compile("indexed orders up to id (\\d+) after the snapshot")
                    .matcher(demo.out());
            assertThat(seeded.find() && wrote.find()).as(demo.out()).isTrue();
            assertThat(Integer.parseInt(wrote.group(1))).isGreaterThan(Integer.parseInt(seeded.group(1)));
            assertThat(demo.out())
                    .contains("run 1 of demo-fork-opensearch: COMPLETED")
                    .contains("the fork holds " + seeded.group(1) + " orders, the newest id " + seeded.group(1))
                    .contains("customer-1@example.invalid");
            Matcher connect =
                    Pattern.compile("connect: curl '(http://127.0.0.1:\\d+)/").matcher(demo.out());
            assertThat(connect.find()).as(demo.out()).isTrue();
            HttpResponse<String> count = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create(connect.group(1) + "/orders/_count"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(count.body()).contains("\"count\":" + seeded.group(1) + ",");
        }
    }
}
