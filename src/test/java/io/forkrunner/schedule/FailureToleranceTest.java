package io.forkrunner.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestHome;
import io.forkrunner.testing.TestSource;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Failures while serving are logged and outlived: the watch on the definitions and the sweep go on. */
class FailureToleranceTest {

    @Test
    void aValidEditAfterTheMetadataStoreWasDownDuringAnEditStillApplies() throws Exception {
        try (TestHome home = TestHome.create("watcher-outage")) {
            TestSource store = TestSource.start(home, "meta", "Meta-pw-7f3a");
            String settings = home.read("config/forkrunner.yml");
            home.write(
                    "config/forkrunner.yml", """
                    metadata:
                      url: jdbc:postgresql://127.0.0.1:%d/forkrunner
                      user: postgres
                      password: ${file:var/secrets/meta}
                    %s""".formatted(store.port(), settings.substring(settings.indexOf("api:"))));
            home.declareServices(Ports.range(10), store.serviceYamlAs("shop", "eu-local", "{ keep: 1, wal: none }"));
            Process node = home.start("node", Map.of(), "serve");
            await().atMost(Duration.ofSeconds(90))
                    .ignoreExceptions()
                    .until(() -> log(home).contains("schedules started"));

            store.server().stop();
            Instant down = Instant.now();
            job(home, "during");
            // down for at least 20 s, and until the watcher has met the failure
            await().atMost(Duration.ofSeconds(120))
                    .pollInterval(Duration.ofSeconds(1))
                    .until(() -> Duration.between(down, Instant.now()).toSeconds() >= 20
                            && log(home).contains("cannot update the schedules"));
            store.server().start();
            job(home, "after");

            await().atMost(Duration.ofSeconds(120))
                    .until(() -> log(home).contains("scheduled forks after")
                            && log(home).contains("scheduled forks during"));
            assertThat(node.isAlive()).as(log(home)).isTrue();
        }
    }

    @Test
    void aForkThatCannotBeDroppedLeavesTheRestOfTheSweepDone() throws Exception {
        try (TestHome home = TestHome.create("sweep-failure")) {
            TestSource source = TestSource.start(home, "shop", "Shop-pw-5e1d");
            Ports.Range ports = Ports.range(10);
            home.declareServices(ports, source.serviceYaml("eu-local", "{ keep: 1, wal: none }"));
            home.job("expiring", """
                    source: shop
                    target:
                      name: expiring-{run}
                    retention:
                      ttl: 1m
                    """);
            assertThat(home.cli("forks").exitCode())
                    .as("the metadata tables made")
                    .isZero();
            // Newest first in the pass: a fork in a server no longer declared cannot be dropped, the older one can.
            int port = ports.first() + 1;
            fork(home, "expiring-2", port, "interval '2 minutes'", "'gone'", "'expiring_2'");
            fork(home, "expiring-1", port, "interval '3 minutes'", "null", "null");

            home.start("node", Map.of(), "serve");
            await().atMost(Duration.ofSeconds(90))
                    .ignoreExceptions()
                    .until(() -> log(home).contains("dropped fork expiring-1"));
            assertThat(log(home))
                    .contains("fork expiring-2 of job expiring is past its retention but cannot be dropped")
                    .contains("service gone, which is no longer declared");
            assertThat(forks(home)).isEqualTo(1);
        }
    }

    private static void job(TestHome home, String name) {
        home.job(name, """
                source: shop
                target:
                  name: %s-{run}
                schedule:
                  cron: "0 0 3 * * ?"
                  zone: UTC
                """.formatted(name));
    }

    private static void fork(TestHome home, String name, int port, String age, String server, String database)
            throws Exception {
        try (Connection metadata = home.metadataConnection();
                Statement statement = metadata.createStatement()) {
            statement.execute("insert into forks (name, job, run_id, source, region, engine, version, point_in_time,"
                    + " backup_id, host, port, created_at, server, database) values ('" + name
                    + "', 'expiring', 1, 'shop', 'eu-local', 'postgresql', 15, now(), 'b1', '127.0.0.1', " + port
                    + ", now() - " + age + ", " + server + ", " + database + ")");
        }
    }

    private static int forks(TestHome home) throws Exception {
        try (Connection metadata = home.metadataConnection();
                Statement statement = metadata.createStatement();
                var row = statement.executeQuery("select count(*) from forks")) {
            row.next();
            return row.getInt(1);
        }
    }

    private static String log(TestHome home) {
        return home.read("var/log/node.out");
    }
}
