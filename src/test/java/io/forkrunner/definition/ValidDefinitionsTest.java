package io.forkrunner.definition;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkrunner.definition.JobDefinition.CommandIntegration;
import io.forkrunner.definition.JobDefinition.Misfire;
import io.forkrunner.definition.JobDefinition.Overlap;
import io.forkrunner.definition.JobDefinition.PrometheusIntegration;
import io.forkrunner.definition.JobDefinition.SqlIntegration;
import io.forkrunner.definition.JobDefinition.WebhookIntegration;
import io.forkrunner.definition.ServiceDefinition.Backups;
import io.forkrunner.definition.ServiceDefinition.Pool;
import io.forkrunner.definition.ServiceDefinition.PoolMode;
import io.forkrunner.definition.ServiceDefinition.Wal;
import io.forkrunner.system.Home;
import io.forkrunner.system.SecretRef;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ValidDefinitionsTest {

    private final DefinitionHome home = DefinitionHome.create();

    @Test
    void aFullJobIsReadIntoItsRecord() {
        home.write("jobs/sql/mask-customers.sql", "update customers set email = null;\n")
                .job("shop-dev", """
                        description: Nightly copy of shop for developers
                        source: shop
                        database: shop
                        target:
                          name: shop-dev-{date}
                          region: us-local
                          version: 17
                        from: 2026-11-25T23:00:00Z
                        schedule:
                          cron: "0 30 2 * * ?"
                          zone: Europe/Helsinki
                          misfire: skip
                          overlap: queue
                        users: copy
                        pools: none
                        integrations:
                          - { type: sql, file: jobs/sql/mask-customers.sql }
                          - { type: webhook, url: "https://hooks.example.com/forks" }
                          - { type: prometheus, file: var/prometheus/forks.json }
                          - { type: command, argv: [/usr/local/bin/announce-fork, --quiet] }
                        checks:
                          - select count(*) > 0 from orders
                          - select true
                        retention:
                          keep: 3
                          ttl: 14d
                        """);

        JobDefinition job = home.read().jobs().get("shop-dev");

        assertThat(job.name()).isEqualTo("shop-dev");
        assertThat(job.description()).isEqualTo("Nightly copy of shop for developers");
        assertThat(job.source()).isEqualTo("shop");
        assertThat(job.target()).isEqualTo(new JobDefinition.Target("shop-dev-{date}", "us-local", 17));
        assertThat(job.from()).isEqualTo(new PointInTime.At(Instant.parse("2026-11-25T23:00:00Z")));
        assertThat(job.schedule())
                .isEqualTo(new JobDefinition.Schedule(
                        "0 30 2 * * ?", ZoneId.of("Europe/Helsinki"), Misfire.SKIP, Overlap.QUEUE));
        assertThat(job.database()).isEqualTo("shop");
        assertThat(job.copyUsers()).isTrue();
        assertThat(job.copyPools()).isFalse();

        assertThat(job.integrations())
                .containsExactly(
                        new SqlIntegration(home.root().resolve("jobs/sql/mask-customers.sql")),
                        new WebhookIntegration(URI.create("https://hooks.example.com/forks")),
                        new PrometheusIntegration(home.root().resolve("var/prometheus/forks.json")),
                        new CommandIntegration(List.of("/usr/local/bin/announce-fork", "--quiet")));
        assertThat(job.checks()).containsExactly("select count(*) > 0 from orders", "select true");
        assertThat(job.retention()).isEqualTo(new JobDefinition.Retention(3, Duration.ofDays(14)));
    }

    @Test
    void aMinimalJobTakesTheDefaults() {
        home.job("shop-dev", DefinitionHome.JOB);

        JobDefinition job = home.read().jobs().get("shop-dev");

        assertThat(job.target().region()).as("the source's region").isEqualTo("eu-local");
        assertThat(job.target().version()).as("the source's major").isNull();
        assertThat(job.from()).isEqualTo(new PointInTime.Latest());
        assertThat(job.schedule()).as("runs only when launched").isNull();
        assertThat(job.copyUsers()).isTrue();
        assertThat(job.copyPools()).isTrue();
        assertThat(job.integrations()).isEmpty();
        assertThat(job.checks()).isEmpty();
        assertThat(job.retention()).isEqualTo(new JobDefinition.Retention(null, null));
        assertThat(job.notifications()).isEmpty();
        assertThat(job.description()).isNull();
    }

    @Test
    void aScheduleTakesItsDefaults() {
        home.job("shop-dev", DefinitionHome.JOB + "schedule:\n  cron: \"0 0 3 ? * MON\"\n");

        JobDefinition.Schedule schedule = home.read().jobs().get("shop-dev").schedule();

        assertThat(schedule)
                .isEqualTo(
                        new JobDefinition.Schedule("0 0 3 ? * MON", ZoneId.of("UTC"), Misfire.RUN_ONCE, Overlap.SKIP));
    }

    @Test
    void aPointInTimeBeforeTheRunIsRead() {
        home.job("shop-dev", DefinitionHome.JOB + "from: -2h\n");

        PointInTime from = home.read().jobs().get("shop-dev").from();

        assertThat(from).isEqualTo(new PointInTime.Before(Duration.ofHours(2)));
        assertThat(from.resolve(Instant.parse("2026-11-26T02:30:00Z"))).contains(Instant.parse("2026-11-26T00:30:00Z"));
    }

    @Test
    void aTimeWithAnOffsetIsReadAsTheSameInstant() {
        home.job("shop-dev", DefinitionHome.JOB + "from: 2026-11-26T01:00:00+02:00\n");

        assertThat(home.read().jobs().get("shop-dev").from())
                .isEqualTo(new PointInTime.At(Instant.parse("2026-11-25T23:00:00Z")));
    }

    @Test
    void aServiceWithBackupsAndPoolsIsReadIntoItsRecord() {
        home.env("SHOP_PASSWORD", "not-in-any-file").services("""
                regions:
                  eu-local: { provisioner: local, root: var/regions/eu-local, ports: 16000-16099 }
                services:
                  shop:
                    engine: postgresql
                    region: eu-local
                    host: db.example.internal
                    port: 6432
                    user: forkrunner
                    password: ${env:SHOP_PASSWORD}
                    backups:
                      every: 24h
                      keep: 3
                      wal: none
                    pools:
                      - { name: app, database: shop, user: app, mode: transaction, size: 20 }
                      - { name: reports, database: shop, user: reporter, mode: session, size: 5 }
                """);

        Definitions definitions = home.read();

        assertThat(definitions.services().get("shop"))
                .isEqualTo(new ServiceDefinition(
                        "shop",
                        "postgresql",
                        "eu-local",
                        "db.example.internal",
                        6432,
                        "forkrunner",
                        new SecretRef(SecretRef.Kind.ENV, "SHOP_PASSWORD"),
                        new Backups(Duration.ofHours(24), 3, Wal.NONE),
                        List.of(
                                new Pool("app", "shop", "app", PoolMode.TRANSACTION, 20),
                                new Pool("reports", "shop", "reporter", PoolMode.SESSION, 5)),
                        null,
                        List.of(),
                        null,
                        null,
                        List.of(),
                        null));

        assertThat(definitions.regions().get("eu-local"))
                .isEqualTo(new Region(
                        "eu-local", "local", home.root().resolve("var/regions/eu-local"), new PortRange(16000, 16099)));
    }

    @Test
    void aServiceWithoutBackupsOrPoolsTakesTheDefaults() {
        ServiceDefinition shop = home.read().services().get("shop");

        assertThat(shop.backups()).isEqualTo(new Backups(null, 7, Wal.STREAM));
        assertThat(shop.pools()).isEmpty();
        assertThat(shop.password()).as("a server that needs none").isNull();
    }

    @Test
    void aPoolTakesTheDefaults() {
        home.services(DefinitionHome.SERVICES + "    pools:\n      - { name: app, database: shop, user: app }\n");

        assertThat(home.read().services().get("shop").pools())
                .containsExactly(new Pool("app", "shop", "app", PoolMode.TRANSACTION, 20));
    }

    @Test
    void withoutForkrunnerYmlTheDefaultMetadataStoreIsUsed() {
        Settings settings = home.read().settings();

        assertThat(settings.metadata())
                .isEqualTo(new Settings.Metadata(Settings.DEFAULT_METADATA_URL, "postgres", null, false));
        assertThat(settings.api()).isEqualTo(new Settings.Api(8080, List.of()));
    }

    @Test
    void settingsWithMetadataAndTokensAreRead() {
        home.env("FORKRUNNER_DB_PASSWORD", "db-secret")
                .env("FORKRUNNER_CI_TOKEN", "ci-secret")
                .write("var/secrets/wall-token", "wall-secret\n")
                .settings("""
                        metadata:
                          url: jdbc:postgresql://db.example.internal:5433/records
                          user: forkrunner
                          password: ${env:FORKRUNNER_DB_PASSWORD}
                        api:
                          port: 9090
                          address: 0.0.0.0
                          tokens:
                            - { name: ci, role: operator, secret: "${env:FORKRUNNER_CI_TOKEN}" }
                            - { name: wall, role: viewer, secret: "${file:var/secrets/wall-token}" }
                        """);

        Settings settings = home.read().settings();

        assertThat(settings.metadata())
                .isEqualTo(new Settings.Metadata(
                        "jdbc:postgresql://db.example.internal:5433/records",
                        "forkrunner",
                        new SecretRef(SecretRef.Kind.ENV, "FORKRUNNER_DB_PASSWORD"),
                        true));
        assertThat(settings.api())
                .isEqualTo(new Settings.Api(
                        9090,
                        List.of(
                                new Settings.Token(
                                        "ci",
                                        Settings.Role.OPERATOR,
                                        new SecretRef(SecretRef.Kind.ENV, "FORKRUNNER_CI_TOKEN")),
                                new Settings.Token(
                                        "wall",
                                        Settings.Role.VIEWER,
                                        new SecretRef(SecretRef.Kind.FILE, "var/secrets/wall-token"))),
                        "0.0.0.0"));
    }

    @Test
    void theShippedConfigAndJobsOfTheRepositoryAreValid() {
        Path repository = Path.of("").toAbsolutePath();

        Definitions definitions = new DefinitionReader(new Home(repository), Map.of()).read();

        assertThat(definitions.regions()).containsOnlyKeys("eu-local", "us-local");
        assertThat(definitions.services()).containsOnlyKeys("shop");
        assertThat(definitions.jobs()).containsOnlyKeys("shop-dev", "shop-us-clone", "upgrade-test");
        JobDefinition clone = definitions.jobs().get("shop-us-clone");
        assertThat(clone.target().region()).isEqualTo("us-local");
        assertThat(clone.from()).isEqualTo(new PointInTime.Before(Duration.ofHours(2)));
        assertThat(definitions.jobs().get("shop-dev").target().region()).isEqualTo("eu-local");
    }

    @Test
    void aHomeWithoutJobsHasNone() {
        home.delete("jobs");

        assertThat(home.read().jobs()).isEmpty();
    }
}
