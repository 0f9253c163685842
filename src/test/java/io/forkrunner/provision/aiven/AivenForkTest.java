package io.forkrunner.provision.aiven;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkrunner.engine.cassandra.CassandraCql;
import io.forkrunner.engine.cassandra.CassandraTestSource;
import io.forkrunner.engine.mariadb.MariaDbTestSource;
import io.forkrunner.engine.opensearch.OpenSearchTestSource;
import io.forkrunner.engine.redis.RedisConnection;
import io.forkrunner.engine.redis.RedisFamily;
import io.forkrunner.engine.redis.RedisTestSource;
import io.forkrunner.testing.CliResult;
import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestCertificates;
import io.forkrunner.testing.TestHome;
import io.forkrunner.testing.TestSource;
import io.forkrunner.testing.TlsFront;
import io.forkrunner.testing.WebhookReceiver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Forks of services on Aiven, run by forkrunner through the Aiven API simulator: what is sent to create the fork, what
 * is refused before anything is created, a restart that never asks for a second service, and dropping a fork.
 */
class AivenForkTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String TOKEN = "aiven-token-91d3";
    private static final String CREATE = "/v1/project/acme/service";
    private static final Instant NOW = Instant.now().truncatedTo(ChronoUnit.SECONDS);

    private AivenSimulator aiven;
    private TestHome home;

    @BeforeEach
    void start() throws Exception {
        aiven = AivenSimulator.start(TOKEN);
        aiven.readsToRun(2);
        aiven.addService("acme", "orders", "pg", "startup-4", 1);
        aiven.addBackup("acme", "orders", "backup-orders-1", NOW.minus(2, ChronoUnit.DAYS));
        aiven.pitr("acme", "orders", NOW.minus(2, ChronoUnit.DAYS), null);
        aiven.addService("acme", "cache", "valkey", "startup-4", 1);
        aiven.addBackup("acme", "cache", "backup-cache-old", NOW.minus(10, ChronoUnit.HOURS));
        aiven.addBackup("acme", "cache", "backup-cache-new", NOW.minus(1, ChronoUnit.HOURS));
        aiven.addService("acme", "empty", "opensearch", "startup-4", 1);
        aiven.addService("acme", "ring", "cassandra", "business-3", 3);
        aiven.addBackup("acme", "ring", "backup-ring-1", NOW.minus(3, ChronoUnit.HOURS));
        aiven.plan("cassandra", "startup-1", 1);
        aiven.plan("cassandra", "business-3", 3);
        home = TestHome.create("aiven-fork");
        home.write("var/secrets/aiven", TOKEN);
        home.write("config/services.yml", aiven.servicesYaml("startup-4", "    stall: 3s\n", """
                  orders: { type: pg, region: aiven-eu }
                  cache: { type: valkey, region: aiven-eu }
                  empty: { type: opensearch, region: aiven-eu }
                  ring: { type: cassandra, region: aiven-eu }
                """));
    }

    @AfterEach
    void stop() {
        aiven.close();
        home.close();
    }

    @Test
    void aPointInTimeForkOfPostgresqlAsksAivenForAForkToThatTimeAndIsRegisteredWithItsAddress() {
        home.job("orders-dev", """
                source: orders
                target:
                  name: orders-dev-{run}
                  tags: { team: payments }
                """);
        Instant at = NOW.minus(1, ChronoUnit.HOURS);

        CliResult run = home.cli("run", "orders-dev", "--at", at.toString(), "--json");

        assertThat(run.exitCode()).as(run.toString()).isZero();
        JsonNode finished = JSON.readTree(run.out());
        String fork = finished.path("fork").asString();
        assertThat(fork).startsWith("orders-dev-");
        List<AivenSimulator.Call> creates = aiven.calls("POST", CREATE);
        assertThat(creates).hasSize(1);
        JsonNode body = creates.get(0).body();
        assertThat(body.path("service_name").asString()).isEqualTo(fork);
        assertThat(body.path("service_type").asString()).isEqualTo("pg");
        assertThat(body.path("plan").asString()).isEqualTo("startup-4");
        assertThat(body.path("user_config").path("service_to_fork_from").asString())
                .isEqualTo("orders");
        assertThat(body.path("user_config").path("recovery_target_time").asString())
                .isEqualTo(at.toString().replace("T", " ").replace("Z", ""));
        assertThat(body.path("user_config").has("recovery_basebackup_name")).isFalse();
        assertThat(body.path("tags").path("team").asString()).isEqualTo("payments");
        assertThat(body.path("tags").path(AivenApi.RUN_TAG).asString())
                .isEqualTo(finished.path("run").asString());
        assertThat(step(finished, "pick-backup").path("report").path("holds").asString())
                .contains("point in time " + at);
        assertThat(step(finished, "restore-data").path("report").path("state").asString())
                .isEqualTo("RUNNING");
        assertThat(step(finished, "copy-users-and-pools")
                        .path("report")
                        .path("differences")
                        .asString())
                .isEqualTo("none");

        JsonNode listed = forks().get(0);
        assertThat(listed.path("name").asString()).isEqualTo(fork);
        assertThat(listed.path("host").asString()).isEqualTo(fork + "-acme.aivencloud.com");
        assertThat(listed.path("port").asInt()).isEqualTo(12345);
        assertThat(run.out() + run.err()).doesNotContain("avnadmin-password", TOKEN);
        assertThat(home.read("var/log/forkrunner.log"))
                .contains("fork " + fork + " of orders registered")
                .doesNotContain("avnadmin-password", TOKEN);
    }

    @Test
    void aForkOfAServiceWithoutPointInTimeTakesTheNewestBackupTakenByThenAndSaysWhich() {
        home.job("cache-dev", "source: cache\ntarget:\n  name: cache-dev-{run}\n");

        CliResult run = home.cli(
                "run", "cache-dev", "--at", NOW.minus(2, ChronoUnit.HOURS).toString(), "--json");

        assertThat(run.exitCode()).as(run.toString()).isZero();
        JsonNode config = aiven.calls("POST", CREATE).get(0).body().path("user_config");
        assertThat(config.path("recovery_basebackup_name").asString()).isEqualTo("backup-cache-old");
        assertThat(config.has("recovery_target_time")).isFalse();
        assertThat(step(JSON.readTree(run.out()), "pick-backup")
                        .path("report")
                        .path("holds")
                        .asString())
                .contains("backup-cache-old taken at " + NOW.minus(10, ChronoUnit.HOURS));
    }

    @Test
    void aServiceWithoutBackupATimeOutsideTheWindowAndFewerCassandraNodesAreRefusedWithNothingCreated() {
        home.job("empty-dev", "source: empty\ntarget:\n  name: empty-dev\n");
        home.job("orders-dev", "source: orders\ntarget:\n  name: orders-dev\n");
        home.job("ring-dev", "source: ring\ntarget:\n  name: ring-dev\n  plan: startup-1\n");

        CliResult validate = home.cli("validate");
        assertThat(validate.exitCode()).as(validate.toString()).isEqualTo(2);
        assertThat(validate.err())
                .contains(
                        "jobs/ring-dev.yml: target.plan: \"startup-1\": has 1 nodes, fewer than the 3 of Cassandra"
                                + " service ring",
                        "valid examples: business-3");
        CliResult noBackup = home.cli("run", "empty-dev");
        CliResult outside = home.cli(
                "run", "orders-dev", "--at", NOW.minus(3, ChronoUnit.DAYS).toString());
        CliResult fewer = home.cli("run", "ring-dev");

        assertThat(noBackup.exitCode()).as(noBackup.toString()).isEqualTo(1);
        assertThat(noBackup.out() + noBackup.err()).contains("empty has no backup on Aiven yet");
        assertThat(outside.exitCode()).as(outside.toString()).isEqualTo(1);
        assertThat(outside.out() + outside.err())
                .contains("outside the point-in-time window of orders on Aiven: " + NOW.minus(2, ChronoUnit.DAYS));
        assertThat(fewer.exitCode()).as(fewer.toString()).isEqualTo(1);
        assertThat(fewer.out() + fewer.err()).contains("of 3 nodes onto plan startup-1 of 1");
        assertThat(aiven.calls("POST", CREATE)).isEmpty();
    }

    @Test
    void aCassandraForkOntoAPlanOfMoreNodesIsAskedOfAivenAndVerifiedWithEveryNodeRunning() {
        aiven.plan("cassandra", "business-6", 6);
        home.job("ring-wide", "source: ring\ntarget:\n  name: ring-wide\n  plan: business-6\n");

        CliResult validate = home.cli("validate");
        CliResult run = home.cli("run", "ring-wide", "--json");

        assertThat(validate.exitCode()).as(validate.toString()).isZero();
        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(aiven.calls("POST", CREATE)).singleElement().satisfies(create -> {
            assertThat(create.body().path("plan").asString()).isEqualTo("business-6");
            assertThat(create.body()
                            .path("user_config")
                            .path("service_to_fork_from")
                            .asString())
                    .isEqualTo("ring");
            assertThat(create.body()
                            .path("user_config")
                            .path("recovery_basebackup_name")
                            .asString())
                    .isEqualTo("backup-ring-1");
        });
        assertThat(step(JSON.readTree(run.out()), "verify")
                        .path("report")
                        .path("state")
                        .asString())
                .isEqualTo("RUNNING, 6 nodes, plan business-6");
    }

    @Test
    void aRestartAfterTheRunWasKilledWhileAivenRestoredNeverAsksForASecondService() throws Exception {
        aiven.readsToRun(1_000_000);
        home.addSettings("runs:\n  lease: 5s\n"); // the killed run's lease ends soon after it
        home.job("orders-dev", "source: orders\ntarget:\n  name: orders-dev-{run}\n");

        Process runner = home.start("orders-dev", Map.of(), "run", "orders-dev");
        JsonNode running = Awaitility.await()
                .atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofMillis(300))
                .ignoreExceptions()
                .until(
                        () -> home.runRestoring(
                                "orders-dev",
                                step -> step.path("report")
                                        .path("state")
                                        .asString()
                                        .startsWith("REBUILDING")),
                        node -> node != null);
        runner.destroyForcibly(); // kill -9
        assertThat(runner.waitFor(30, TimeUnit.SECONDS)).isTrue();
        aiven.finishRestores();

        CliResult restarted = home.restartOnceReleased(running.path("run").asLong());

        assertThat(restarted.exitCode()).as(restarted.toString()).isZero();
        assertThat(JSON.readTree(restarted.out()).path("state").asString()).isEqualTo("COMPLETED");
        assertThat(aiven.calls("POST", CREATE)).hasSize(1);
        assertThat(forks()).hasSize(1);
    }

    @Test
    void aCreateWhoseAnswerWasLostIsAdoptedByItsRunsTagNotMadeTwice() {
        aiven.loseAnswerOfNext("POST", CREATE, 504);
        home.job("orders-dev", "source: orders\ntarget:\n  name: orders-dev-{run}\n");

        CliResult run = home.cli("run", "orders-dev", "--json");

        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(aiven.calls("POST", CREATE)).hasSize(2);
        assertThat(step(JSON.readTree(run.out()), "provision")
                        .path("report")
                        .path("service")
                        .asString())
                .contains("adopted");
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES) // a stall that went unnoticed would poll for ever
    void aRestoreThatStopsMovingFailsTheRunWithWhatWasLastSeen() {
        aiven.stall();
        home.job("orders-dev", "source: orders\ntarget:\n  name: orders-dev-{run}\n");

        CliResult run = home.cli("run", "orders-dev");

        assertThat(run.exitCode()).as(run.toString()).isEqualTo(1);
        assertThat(run.out() + run.err()).contains("has not moved for PT3S", "last seen REBUILDING", "basebackup");
    }

    @Test
    void droppingAForkDeletesItsServiceButNeverAProtectedOneOrOneWithoutItsRunsTag() {
        home.job("orders-dev", "source: orders\ntarget:\n  name: orders-dev-{run}\n");
        String first = JSON.readTree(home.cli("run", "orders-dev", "--json").out())
                .path("fork")
                .asString();
        String second = JSON.readTree(home.cli("run", "orders-dev", "--json").out())
                .path("fork")
                .asString();
        String third = JSON.readTree(home.cli("run", "orders-dev", "--json").out())
                .path("fork")
                .asString();
        aiven.service("acme", second).put("termination_protection", true);
        aiven.service("acme", third).withObject("tags").put(AivenApi.RUN_TAG, "999");

        CliResult dropped = home.cli("drop", first);
        CliResult refused = home.cli("drop", second);
        CliResult untagged = home.cli("drop", third);

        assertThat(dropped.exitCode()).as(dropped.toString()).isZero();
        assertThat(aiven.calls("DELETE", CREATE + "/" + first)).hasSize(1);
        assertThat(aiven.service("acme", first)).isNull();
        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.err()).contains("protected against termination");
        assertThat(aiven.calls("DELETE", CREATE + "/" + second)).isEmpty();
        assertThat(untagged.exitCode()).isEqualTo(1);
        assertThat(untagged.err())
                .contains("does not carry the tag " + AivenApi.RUN_TAG, "it carries forkrunner-run=999");
        assertThat(aiven.calls("DELETE", CREATE + "/" + third)).isEmpty();
        assertThat(forks()).extracting(fork -> fork.path("name").asString()).containsExactlyInAnyOrder(second, third);
    }

    @Test
    void theJobsIntegrationsAreMadeForTheForkOnceItRunsAndNoneOfTheSourcesAre() {
        aiven.addService("acme", "grafana-ops", "grafana", "startup-4", 1);
        aiven.addService("acme", "logs-ops", "opensearch", "startup-4", 1);
        aiven.integrate("acme", "logs", "orders", "logs-ops");
        home.job("orders-dev", """
                source: orders
                target:
                  name: orders-dev-{run}
                integrations:
                  - type: aiven
                    integration_type: metrics
                    dest_service: grafana-ops
                    user_config: { database: fork_metrics, retention_days: 30, ro_username: reader }
                """);

        CliResult run = home.cli("run", "orders-dev", "--json");

        assertThat(run.exitCode()).as(run.toString()).isZero();
        String fork = JSON.readTree(run.out()).path("fork").asString();
        assertThat(aiven.calls("POST", "/v1/project/acme/integration")).hasSize(1);
        JsonNode integrations = aiven.service("acme", fork).path("service_integrations");
        assertThat(integrations).hasSize(1);
        JsonNode made = integrations.get(0);
        assertThat(made.path("integration_type").asString()).isEqualTo("metrics");
        assertThat(made.path("source_service").asString()).isEqualTo(fork);
        assertThat(made.path("dest_service").asString()).isEqualTo("grafana-ops");
        assertThat(made.path("user_config").path("retention_days").isNumber()).isTrue();
        assertThat(made.path("user_config").path("retention_days").asInt()).isEqualTo(30);
        assertThat(made.path("user_config").path("database").asString()).isEqualTo("fork_metrics");
    }

    @Test
    void theJobsWebhookCommandAndPrometheusIntegrationsTellOfTheForksAddressOnAivenAndNoSecret() throws Exception {
        Path told = home.path("var/told.txt");
        try (WebhookReceiver receiver = WebhookReceiver.start()) {
            home.job("orders-dev", """
                    source: orders
                    target:
                      name: orders-dev-{run}
                    integrations:
                      - { type: webhook, url: "%s" }
                      - type: command
                        argv: [/bin/sh, -c, 'printf "%%s %%s %%s" "$FORK_NAME" "$FORK_HOST" "$FORK_PORT" > "$0"', %s]
                      - { type: prometheus, file: var/prometheus/forks.json }
                    """.formatted(receiver.url("/forks"), told));

            CliResult run = home.cli("run", "orders-dev", "--json");

            assertThat(run.exitCode()).as(run.toString()).isZero();
            String fork = JSON.readTree(run.out()).path("fork").asString();
            String host = fork + "-acme.aivencloud.com";
            JsonNode ready = receiver.first("fork.ready");
            assertThat(ready.path("fork").asString()).isEqualTo(fork);
            assertThat(ready.path("server").path("host").asString()).isEqualTo(host);
            assertThat(ready.path("server").path("port").asInt()).isEqualTo(12345);
            assertThat(ready.toString()).doesNotContain("avnadmin-password", TOKEN);
            assertThat(Files.readString(told)).isEqualTo(fork + " " + host + " 12345");
            JsonNode targets = JSON.readTree(home.read("var/prometheus/forks.json"));
            assertThat(targets).hasSize(1);
            assertThat(targets.get(0).path("targets").get(0).asString()).isEqualTo(host + ":12345");
            assertThat(targets.get(0).path("labels").path("fork").asString()).isEqualTo(fork);
            assertThat(aiven.calls("POST", "/v1/project/acme/integration")).isEmpty();
        }
    }

    @Test
    void sqlChecksAndTestsOfAPgForkRunThroughTheLoginAivenGivesOverTlsAndAFalseCheckFailsTheRun() throws Exception {
        String password = "fork-pw-" + UUID.randomUUID().toString().substring(0, 8);
        TestSource forkServer = TestSource.start(home, "fork-pg", password);
        forkServer.sql("create database defaultdb");
        try (Connection database = forkServer.connect("defaultdb");
                Statement statement = database.createStatement()) {
            statement.execute("create table orders as select g as id from generate_series(1, 3) g");
        }
        aiven.forksAnswerAt("127.0.0.1", forkServer.port(), "postgres", password, "defaultdb");
        aiven.certificateAuthority(TestCertificates.selfSigned(home.path("tls/other"), "127.0.0.1", false)
                .pem());
        home.write(
                "jobs/sql/orders.sql",
                "do $$ begin if (select count(*) from orders) <> 3 then raise exception 'not 3'; end if;"
                        + " if not (select ssl from pg_stat_ssl where pid = pg_backend_pid()) then"
                        + " raise exception 'not over TLS'; end if; end $$;\n");
        home.write(
                "jobs/sql/mask.sql", "create table if not exists masked (run int); insert into masked values (1);\n");
        String job = """
                source: orders
                target:
                  name: orders-dev-{run}
                checks:
                  - select count(*) = %d from orders
                  - select count(*) > 0 from masked
                  - select ssl from pg_stat_ssl where pid = pg_backend_pid()
                tests: [jobs/sql/orders.sql]
                integrations:
                  - { type: sql, file: jobs/sql/mask.sql }
                """;
        home.job("orders-dev", job.formatted(3));

        CliResult clear = home.cli("run", "orders-dev", "--json");

        assertThat(clear.exitCode()).as(clear.toString()).isEqualTo(1);
        assertThat(clear.out() + clear.err()).contains("reapply-integrations").containsIgnoringCase("SSL");
        assertThat(masked(forkServer))
                .as("nothing ran on a server offering no TLS")
                .isFalse();

        // signed by the authority the API gives (itself), but for another host
        aiven.certificateAuthority(forkServer.offerTls("elsewhere.invalid"));
        CliResult unverified = home.cli("run", "orders-dev", "--json");

        assertThat(unverified.exitCode()).as(unverified.toString()).isEqualTo(1);
        assertThat(unverified.out() + unverified.err())
                .contains("reapply-integrations")
                .containsIgnoringCase("certificate");
        assertThat(masked(forkServer))
                .as("nothing ran on a server whose certificate names another host")
                .isFalse();

        aiven.certificateAuthority(forkServer.offerTls("127.0.0.1"));
        CliResult run = home.cli("run", "orders-dev", "--json");

        assertThat(run.exitCode()).as(run.toString()).isZero();
        JsonNode verify = step(JSON.readTree(run.out()), "verify").path("report");
        assertThat(verify.path("results").asString())
                .contains("\"check: select count(*) = 3 from orders\":\"true in ")
                .contains("\"check: select count(*) > 0 from masked\":\"true in ")
                .contains("\"check: select ssl from pg_stat_ssl where pid = pg_backend_pid()\":\"true in ")
                .contains("\"test: jobs/sql/orders.sql\":\"passed in ");

        home.job("orders-dev", job.formatted(4));
        CliResult failed = home.cli("run", "orders-dev", "--json");

        assertThat(failed.exitCode()).as(failed.toString()).isEqualTo(1);
        assertThat(failed.out() + failed.err())
                .contains("check failed on fork orders-dev-")
                .contains("select count(*) = 4 from orders");
        assertThat(clear.out()
                        + clear.err()
                        + unverified.out()
                        + unverified.err()
                        + run.out()
                        + run.err()
                        + failed.out()
                        + failed.err()
                        + home.read("var/log/forkrunner.log"))
                .doesNotContain(password);
    }

    /** Whether the sql integration's table is in the server's defaultdb. */
    private static boolean masked(TestSource server) throws Exception {
        try (Connection database = server.connect("defaultdb");
                Statement statement = database.createStatement();
                ResultSet masked = statement.executeQuery("select to_regclass('masked') is not null")) {
            masked.next();
            return masked.getBoolean(1);
        }
    }

    @Test
    void sqlChecksAndTestsOfAMysqlForkRunOverTlsVerifiedAgainstTheProjectsAuthority() throws Exception {
        aiven.addService("acme", "shop", "mysql", "startup-4", 1);
        aiven.addBackup("acme", "shop", "backup-shop-1", NOW.minus(2, ChronoUnit.DAYS));
        aiven.pitr("acme", "shop", NOW.minus(2, ChronoUnit.DAYS), null);
        home.write(
                "config/services.yml",
                home.read("config/services.yml") + "  shop: { type: mysql, region: aiven-eu }\n");
        // signed by the authority the API gives (itself), but for another host
        Path tls = home.path("tls/fork-mysql");
        TestCertificates.Certificate certificate = TestCertificates.selfSigned(tls, "elsewhere.invalid", false);
        String password = "fork-pw-" + UUID.randomUUID().toString().substring(0, 8);
        try (MariaDbTestSource forkServer = MariaDbTestSource.start(
                home,
                "fork-mysql",
                password,
                Map.of(
                        "ssl-cert", certificate.certificate().toString(),
                        "ssl-key", certificate.key().toString()))) {
            forkServer.sql(
                    "create database defaultdb",
                    "create table defaultdb.orders (id int primary key)",
                    "insert into defaultdb.orders values (1), (2), (3)");
            aiven.forksAnswerAt("127.0.0.1", forkServer.port, "root", password, "defaultdb");
            aiven.certificateAuthority(certificate.pem());
            home.write(
                    "jobs/sql/shop.sql",
                    "select if((select count(*) from orders) = 3, 1, (select 1 union select 2)) into @n;\n"
                            + "select if((select variable_value from information_schema.session_status"
                            + " where variable_name = 'Ssl_cipher') <> '', 1, (select 1 union select 2)) into @n;\n");
            home.write("jobs/sql/mask.sql", "create table masked (run int); insert into masked values (1);\n");
            home.job("shop-dev", """
                    source: shop
                    target:
                      name: shop-dev-{run}
                    checks:
                      - select count(*) = 3 from orders
                      - select count(*) = 1 from masked
                      - select variable_value <> '' from information_schema.session_status where variable_name = 'Ssl_cipher'
                    tests: [jobs/sql/shop.sql]
                    integrations:
                      - { type: sql, file: jobs/sql/mask.sql }
                    """);

            home.job("shop-check", """
                    source: shop
                    target:
                      name: shop-check-{run}
                    checks: [select 1]
                    """);
            CliResult checked = home.cli("run", "shop-check", "--json");

            assertThat(checked.exitCode()).as(checked.toString()).isEqualTo(1);
            assertThat(JSON.readTree(checked.out()).path("error").asString())
                    .startsWith("check failed on fork shop-check-")
                    .contains("127.0.0.1");

            CliResult unverified = home.cli("run", "shop-dev", "--json");

            assertThat(unverified.exitCode()).as(unverified.toString()).isEqualTo(1);
            assertThat(unverified.out() + unverified.err()).contains("reapply-integrations");
            assertThat(forkServer.column("defaultdb", "show tables like 'masked'"))
                    .as("nothing ran on a server whose certificate names another host")
                    .isEmpty();

            aiven.certificateAuthority(
                    TestCertificates.selfSigned(tls, "127.0.0.1", false).pem());
            forkServer.sql("flush ssl");
            CliResult run = home.cli("run", "shop-dev", "--json");

            assertThat(run.exitCode()).as(run.toString()).isZero();
            assertThat(step(JSON.readTree(run.out()), "verify")
                            .path("report")
                            .path("results")
                            .asString())
                    .contains("\"check: select count(*) = 3 from orders\":\"true in ")
                    .contains("\"check: select count(*) = 1 from masked\":\"true in ")
                    .contains("Ssl_cipher'\":\"true in ")
                    .contains("\"test: jobs/sql/shop.sql\":\"passed in ");
            assertThat(checked.out()
                            + unverified.out()
                            + unverified.err()
                            + run.out()
                            + run.err()
                            + home.read("var/log/forkrunner.log"))
                    .doesNotContain(password);
        }
    }

    @Test
    void
            checksTestsAndRedisIntegrationsOfAValkeyForkRunThroughTheLoginAivenGivesOverTlsVerifiedAgainstTheProjectsAuthority()
                    throws Exception {
        // signed by the authority the API gives (itself), but for another host
        TestCertificates.Certificate elsewhere =
                TestCertificates.selfSigned(home.path("tls/fork-valkey"), "elsewhere.invalid", false);
        String password = "fork-pw-" + UUID.randomUUID().toString().substring(0, 8);
        int tlsPort = Ports.one();
        try (RedisTestSource forkServer = RedisTestSource.start(
                RedisFamily.VALKEY,
                home,
                "fork-valkey",
                password,
                Map.of(
                        "tls-port", String.valueOf(tlsPort),
                        "tls-cert-file", elsewhere.certificate().toString(),
                        "tls-key-file", elsewhere.key().toString(),
                        "tls-auth-clients", "no"))) {
            try (RedisConnection redis = forkServer.connect()) {
                redis.call("SET", "app:ready", "1");
            }
            aiven.forksAnswerAt("127.0.0.1", tlsPort, "default", password, null);
            aiven.certificateAuthority(elsewhere.pem());
            home.job("cache-dev", """
                    source: cache
                    target:
                      name: cache-dev-{run}
                    checks: [EXISTS app:ready]
                    """);
            home.write("jobs/redis/mask.redis", """
                    # masked on every fork
                    SET app:greeting "masked \\"for dev\\""
                    """);
            home.write(
                    "jobs/redis/masked.redis",
                    "EVAL \"if redis.call('GET', KEYS[1]) ~= ARGV[1] then return redis.error_reply('not masked')"
                            + " end return 1\" 1 app:greeting 'masked \"for dev\"'\n");
            home.job("cache-masked", """
                    source: cache
                    target:
                      name: cache-masked-{run}
                    integrations:
                      - { type: redis, file: jobs/redis/mask.redis }
                    tests: [jobs/redis/masked.redis]
                    """);

            CliResult dry = home.cli("run", "cache-masked", "--dry-run");
            assertThat(dry.exitCode()).as(dry.toString()).isZero();
            assertThat(dry.out())
                    .contains("then the job's redis integration jobs/redis/mask.redis, run on the fork through the"
                            + " login the API gives")
                    .contains("the job's 0 checks and 1 tests run through the login it gives");

            CliResult unverified = home.cli("run", "cache-dev", "--json");
            CliResult unverifiedFile = home.cli("run", "cache-masked", "--json");

            assertThat(unverified.exitCode()).as(unverified.toString()).isEqualTo(1);
            assertThat(JSON.readTree(unverified.out()).path("error").asString())
                    .startsWith("check failed on fork cache-dev-")
                    .contains("EXISTS app:ready");
            assertThat(unverifiedFile.exitCode()).as(unverifiedFile.toString()).isEqualTo(1);
            assertThat(step(JSON.readTree(unverifiedFile.out()), "reapply-integrations")
                            .path("state")
                            .asString())
                    .isEqualTo("FAILED");
            try (RedisConnection redis = forkServer.connect()) {
                assertThat(redis.call("EXISTS", "app:greeting"))
                        .as("nothing sent to a server whose certificate names another host")
                        .isEqualTo(0L);
            }

            TestCertificates.Certificate own =
                    TestCertificates.selfSigned(home.path("tls/fork-valkey-own"), "127.0.0.1", false);
            try (RedisConnection redis = forkServer.connect()) {
                redis.call(
                        "CONFIG",
                        "SET",
                        "tls-cert-file",
                        own.certificate().toString(),
                        "tls-key-file",
                        own.key().toString());
            }
            aiven.certificateAuthority(own.pem());
            CliResult run = home.cli("run", "cache-dev", "--json");

            assertThat(run.exitCode()).as(run.toString()).isZero();
            assertThat(step(JSON.readTree(run.out()), "verify")
                            .path("report")
                            .path("results")
                            .asString())
                    .contains("\"check: EXISTS app:ready\":\"true in ");
            CliResult masked = home.cli("run", "cache-masked", "--json");

            assertThat(masked.exitCode()).as(masked.toString()).isZero();
            try (RedisConnection redis = forkServer.connect()) {
                assertThat(redis.text("GET", "app:greeting")).isEqualTo("masked \"for dev\"");
            }
            assertThat(step(JSON.readTree(masked.out()), "verify")
                            .path("report")
                            .path("results")
                            .asString())
                    .contains("\"test: jobs/redis/masked.redis\":\"passed in ");
            try (RedisConnection redis = forkServer.connect()) {
                redis.call("SET", "app:greeting", "changed after the mask");
            }
            home.write("jobs/redis/mask.redis", "# the mask left out\n");
            CliResult unmasked = home.cli("run", "cache-masked", "--json");

            assertThat(unmasked.exitCode()).as(unmasked.toString()).isEqualTo(1);
            assertThat(JSON.readTree(unmasked.out()).path("error").asString())
                    .contains("test masked.redis failed on fork cache-masked-")
                    .contains("masked.redis:1: EVAL failed on")
                    .contains("not masked");
            assertThat(unverified.out()
                            + unverifiedFile.out()
                            + run.out()
                            + run.err()
                            + masked.out()
                            + masked.err()
                            + home.read("var/log/forkrunner.log"))
                    .doesNotContain(password);
        }
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES) // a Cassandra node's start, on two cores
    void aCqlIntegrationOfACassandraForkRunsThroughTheLoginAivenGivesOverTlsVerifiedAgainstTheProjectsAuthority() {
        TestCertificates.Certificate certificate =
                TestCertificates.selfSigned(home.path("tls/fork-ring"), "127.0.0.1", false);
        try (CassandraTestSource forkServer = CassandraTestSource.startOverTls(home, "fork-ring", certificate)) {
            try (CassandraCql cql = CassandraCql.open(forkServer.admin())) {
                cql.execute("CREATE KEYSPACE shop WITH replication = {'class': 'SimpleStrategy',"
                        + " 'replication_factor': 1}");
                cql.execute("CREATE TABLE shop.customers (id int PRIMARY KEY, email text)");
                cql.execute("INSERT INTO shop.customers (id, email) VALUES (1, 'ada@example.com')");
            }
            String password = home.read("var/secrets/fork-ring");
            home.write("jobs/cql/mask.cql", """
                    -- masked on every fork
                    UPDATE shop.customers SET email = 'masked'
                      WHERE id = 1;
                    """);
            home.job("ring-dev", """
                    source: ring
                    target:
                      name: ring-dev-{run}
                      plan: business-3
                    integrations:
                      - { type: cql, file: jobs/cql/mask.cql }
                    """);

            CliResult dry = home.cli("run", "ring-dev", "--dry-run");
            assertThat(dry.exitCode()).as(dry.toString()).isZero();
            assertThat(dry.out())
                    .contains("kms/ca: the authority the fork's certificate is verified against")
                    .contains("then the job's cql integration jobs/cql/mask.cql, run on the fork through the login the"
                            + " API gives");

            // the node's certificate, but an authority that did not sign it
            aiven.forksAnswerAt("127.0.0.1", forkServer.cqlPort(), "cassandra", password, null);
            aiven.certificateAuthority(TestCertificates.selfSigned(home.path("tls/other"), "127.0.0.1", false)
                    .pem());
            CliResult untrusted = home.cli("run", "ring-dev", "--json");
            // the authority that signed it, at a host name the certificate does not name
            aiven.certificateAuthority(certificate.pem());
            aiven.forksAnswerAt("localhost", forkServer.cqlPort(), "cassandra", password, null);
            CliResult elsewhere = home.cli("run", "ring-dev", "--json");

            for (CliResult refused : List.of(untrusted, elsewhere)) {
                assertFailedApplyingIntegrations(refused);
                assertThat(JSON.readTree(refused.out()).path("error").asString())
                        .contains("cannot log in to the Cassandra cluster at cassandra@");
            }
            assertThat(email(forkServer))
                    .as("nothing ran on a node whose certificate is not trusted")
                    .isEqualTo("ada@example.com");

            aiven.forksAnswerAt("127.0.0.1", forkServer.cqlPort(), "cassandra", password, null);
            CliResult run = home.cli("run", "ring-dev", "--json");

            assertAppliedOneIntegration(run);
            assertThat(email(forkServer)).isEqualTo("masked");
            assertThat(home.read("var/log/runs/"
                            + JSON.readTree(run.out()).path("run").asLong() + "-integration-1.log"))
                    .isEqualTo("mask.cql:2: done\n");
            assertThat(printedAndLogged(dry, untrusted, elsewhere, run)).doesNotContain(password);
        }
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES) // an OpenSearch node's start, on two cores
    void anHttpIntegrationOfAnOpenSearchForkRunsAsItsUserOverTlsVerifiedAgainstTheProjectsAuthority() {
        aiven.addService("acme", "search", "opensearch", "startup-4", 1);
        aiven.addBackup("acme", "search", "backup-search-1", NOW.minus(1, ChronoUnit.HOURS));
        home.write(
                "config/services.yml",
                home.read("config/services.yml") + "  search: { type: opensearch, region: aiven-eu }\n");
        TestCertificates.Certificate certificate =
                TestCertificates.selfSigned(home.path("tls/fork-search"), "127.0.0.1", false);
        String password = "fork-pw-" + UUID.randomUUID().toString().substring(0, 8);
        try (OpenSearchTestSource forkServer = OpenSearchTestSource.start(home, "fork-search");
                TlsFront front =
                        TlsFront.start(home.path("tls/front"), certificate, "avnadmin", password, forkServer.port())) {
            forkServer.client().call("PUT", "/customers/_doc/1?refresh=true", JSON.readTree("""
                    {"email": "ada@example.com"}"""));
            home.write("jobs/http/mask.http", """
                    # masked on every fork
                    POST /customers/_update/1?refresh=true
                    {"doc": {"email": "masked"}}
                    """);
            home.job("search-dev", """
                    source: search
                    target:
                      name: search-dev-{run}
                    integrations:
                      - { type: http, file: jobs/http/mask.http }
                    """);

            // the front's certificate, but an authority that did not sign it
            aiven.forksAnswerAt("127.0.0.1", front.port(), "avnadmin", password, null);
            aiven.certificateAuthority(TestCertificates.selfSigned(home.path("tls/other"), "127.0.0.1", false)
                    .pem());
            CliResult untrusted = home.cli("run", "search-dev", "--json");
            // the authority that signed it, at a host name the certificate does not name
            aiven.certificateAuthority(certificate.pem());
            aiven.forksAnswerAt("localhost", front.port(), "avnadmin", password, null);
            CliResult elsewhere = home.cli("run", "search-dev", "--json");
            // the right server, but a login it refuses
            aiven.forksAnswerAt("127.0.0.1", front.port(), "avnadmin", "not-" + password, null);
            CliResult refusedLogin = home.cli("run", "search-dev", "--json");

            for (CliResult refused : List.of(untrusted, elsewhere, refusedLogin)) {
                assertFailedApplyingIntegrations(refused);
            }
            assertThat(JSON.readTree(untrusted.out()).path("error").asString())
                    .contains("cannot reach OpenSearch at https://127.0.0.1:" + front.port());
            assertThat(JSON.readTree(refusedLogin.out()).path("error").asString())
                    .contains("mask.http:2:")
                    .contains("401");
            assertThat(emailOf(forkServer))
                    .as("nothing changed through an untrusted connection or a refused login")
                    .isEqualTo("ada@example.com");

            aiven.forksAnswerAt("127.0.0.1", front.port(), "avnadmin", password, null);
            CliResult run = home.cli("run", "search-dev", "--json");

            assertAppliedOneIntegration(run);
            assertThat(emailOf(forkServer)).isEqualTo("masked");
            assertThat(printedAndLogged(untrusted, elsewhere, refusedLogin, run))
                    .doesNotContain(password);
        }
    }

    /** A run that failed at reapply-integrations, with exit code 1. */
    private static void assertFailedApplyingIntegrations(CliResult refused) {
        assertThat(refused.exitCode()).as(refused.toString()).isEqualTo(1);
        assertThat(step(JSON.readTree(refused.out()), "reapply-integrations")
                        .path("state")
                        .asString())
                .isEqualTo("FAILED");
    }

    /** A run that completed with the job's one integration applied to the fork. */
    private static void assertAppliedOneIntegration(CliResult run) {
        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(step(JSON.readTree(run.out()), "reapply-integrations")
                        .path("report")
                        .path("integrations")
                        .asString())
                .startsWith("1 applied to the fork");
    }

    /** What {@code results} printed, and forkrunner's log. */
    private String printedAndLogged(CliResult... results) {
        StringBuilder text = new StringBuilder(home.read("var/log/forkrunner.log"));
        for (CliResult result : results) {
            text.append(result.out()).append(result.err());
        }
        return text.toString();
    }

    private static String emailOf(OpenSearchTestSource node) {
        return node.client()
                .call("GET", "/customers/_doc/1", null)
                .path("_source")
                .path("email")
                .asString();
    }

    private static String email(CassandraTestSource node) {
        try (CassandraCql cql = CassandraCql.open(node.admin())) {
            return cql.execute("SELECT email FROM shop.customers WHERE id = 1")
                    .get(0)
                    .getString(0);
        }
    }

    @Test
    void anOpenSearchSourceWithSamlNeedsTheForksOwnSsoOrLaterWhichWarns() {
        aiven.addService("acme", "search", "opensearch", "startup-4", 1)
                .withObject("user_config")
                .putObject("saml")
                .put("enabled", true)
                .put("idp_metadata_url", "https://idp.example.com/metadata")
                .put("sp_entity_id", "https://search-acme.aivencloud.com");
        aiven.addBackup("acme", "search", "backup-search-1", NOW.minus(1, ChronoUnit.HOURS));
        home.write(
                "config/services.yml",
                home.read("config/services.yml") + "  search: { type: opensearch, region: aiven-eu }\n");
        try (WebhookReceiver hooks = WebhookReceiver.start()) {
            home.job("search-bare", "source: search\ntarget:\n  name: search-bare\n");
            home.job("search-own", """
                    source: search
                    target:
                      name: search-own
                    sso:
                      saml:
                        idp_metadata_url: https://idp.example.com/metadata
                        idp_entity_id: https://idp.example.com
                        sp_entity_id: https://search-own-acme.aivencloud.com
                        roles_key: Role
                    """);
            home.job("search-later", """
                    source: search
                    target:
                      name: search-later
                    sso: later
                    notifications:
                      - { on: success, url: "%s" }
                    """.formatted(hooks.url("/done")));

            CliResult bare = home.cli("run", "search-bare");
            assertThat(bare.exitCode()).as(bare.toString()).isEqualTo(1);
            assertThat(bare.out() + bare.err()).contains("SAML single sign-on enabled", "sso: later");
            assertThat(aiven.calls("POST", CREATE)).isEmpty();

            CliResult own = home.cli("run", "search-own");
            assertThat(own.exitCode()).as(own.toString()).isZero();
            JsonNode saml = aiven.calls("PUT", CREATE + "/search-own")
                    .get(0)
                    .body()
                    .path("user_config")
                    .path("saml");
            assertThat(saml.path("enabled").asBoolean()).isTrue();
            assertThat(saml.path("sp_entity_id").asString()).isEqualTo("https://search-own-acme.aivencloud.com");
            assertThat(saml.path("roles_key").asString()).isEqualTo("Role");

            CliResult later = home.cli("run", "search-later", "--json");
            assertThat(later.exitCode()).as(later.toString()).isZero();
            JsonNode run = JSON.readTree(later.out());
            assertThat(run.path("warnings").get(0).asString()).startsWith("SSO must be reconfigured for this fork");
            assertThat(aiven.calls("PUT", CREATE + "/search-later")).isEmpty();
            assertThat(home.cli("status", run.path("run").asString()).out())
                    .contains("warning: SSO must be reconfigured for this fork");
            JsonNode notified = Awaitility.await()
                    .atMost(Duration.ofSeconds(60))
                    .until(() -> hooks.first("run.succeeded"), body -> body != null);
            assertThat(notified.path("warnings").get(0).asString()).contains("SSO must be reconfigured");
        }
    }

    @Test
    void aDryRunPrintsTheCallsARunWouldMakeAndMakesOnlyTheReadsThatDecideThem() {
        home.job("orders-dev", """
                source: orders
                users: none
                target:
                  name: orders-dev-{run}
                integrations:
                  - { type: aiven, integration_type: metrics, dest_service: grafana-ops }
                checks: [select 1]
                """);
        Instant at = NOW.minus(3, ChronoUnit.HOURS);

        CliResult dry = home.cli("run", "orders-dev", "--dry-run", "--at", at.toString());

        assertThat(dry.exitCode()).as(dry.toString()).isZero();
        assertThat(dry.out())
                .contains(
                        "GET /v1/project/acme/service/orders/backups",
                        "POST /v1/project/acme/service {\"service_name\":\"orders-dev-0\"",
                        "\"recovery_target_time\":\""
                                + at.toString().replace("T", " ").replace("Z", "") + "\"",
                        "PUT /v1/project/acme/service/orders-dev-0/user/USER {\"operation\":\"reset-credentials\"}",
                        "POST /v1/project/acme/integration {\"integration_type\":\"metrics\"",
                        "GET /v1/project/acme/kms/ca: the authority the fork's certificate is verified against");
        assertThat(aiven.calls()).allSatisfy(call -> assertThat(call.method()).isEqualTo("GET"));
        assertThat(aiven.calls()).noneMatch(call -> call.path().endsWith("/kms/ca"));
        assertThat(forks()).isEmpty();
        assertThat(JSON.readTree(home.cli("status", "--json").out())).isEmpty();
    }

    @Test
    void aServiceOnAivenIsNotBackedUpOrRenamedByForkrunner() {
        CliResult backup = home.cli("backup", "orders");
        CliResult rename = home.cli("rename", "orders", "orders-new");

        assertThat(backup.exitCode()).as(backup.toString()).isEqualTo(2);
        assertThat(backup.err()).contains("orders", "is a service on Aiven (type pg)");
        assertThat(rename.exitCode()).as(rename.toString()).isEqualTo(2);
        assertThat(rename.err())
                .contains("orders", "is a service on Aiven (type pg)", "target.name orders-new", "nothing was changed");
        assertThat(aiven.calls()).allSatisfy(call -> assertThat(call.method()).isEqualTo("GET"));
    }

    @Test
    void usersNoneResetsEveryPasswordOfTheFork() {
        home.job("orders-dev", "source: orders\nusers: none\npools: none\ntarget:\n  name: orders-dev-{run}\n");
        // pools: none is refused for a fork on Aiven; users: none alone is accepted
        assertThat(home.cli("validate").exitCode()).isEqualTo(2);
        home.job("orders-dev", "source: orders\nusers: none\ntarget:\n  name: orders-dev-{run}\n");

        CliResult run = home.cli("run", "orders-dev", "--json");

        assertThat(run.exitCode()).as(run.toString()).isZero();
        String fork = JSON.readTree(run.out()).path("fork").asString();
        assertThat(aiven.calls("PUT", CREATE + "/" + fork + "/user/avnadmin"))
                .singleElement()
                .satisfies(call ->
                        assertThat(call.body().path("operation").asString()).isEqualTo("reset-credentials"));
    }

    private List<JsonNode> forks() {
        List<JsonNode> forks = new java.util.ArrayList<>();
        JSON.readTree(home.cli("forks", "--json").out()).forEach(forks::add);
        return forks;
    }

    private static JsonNode step(JsonNode run, String name) {
        return TestHome.step(run, name);
    }
}
