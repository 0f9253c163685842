package io.forkrunner.engine.opensearch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.Place;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.Home;
import io.forkrunner.testing.CliResult;
import io.forkrunner.testing.TestHome;
import io.forkrunner.testing.WebhookReceiver;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;
import tools.jackson.databind.JsonNode;

/**
 * OpenSearch keeps the engine contract without point in time and without users (no security plugin here): a fork holds
 * the newest snapshot taken by then. Its records are the documents of index {@code records}, each holding its note;
 * the setting is a persistent cluster setting, which the snapshot's global state carries. The source also has an
 * index with a custom analyzer and an alias, one more index, an index template, an ingest pipeline and a stored
 * script, which the fork must hold; index {@code padding} holds random megabytes (~12 MB of files) that make the
 * restore, at copy-rate 4MB, last long enough for the kill test to catch it. Then: a backup beyond {@code keep} goes
 * through the cluster, and a snapshot whose file changed is refused before anything is made.
 */
class OpenSearchContractTest extends SearchContractTest {

    /** The source's security configuration, as its operator keeps it for securityadmin.sh. */
    private static final String SECURITY = "var/sources/origin-security";

    private static final String CONFIG = """
            _meta:
              type: "config"
              config_version: 2
            config:
              dynamic:
                authc:
                  basic_internal_auth_domain:
                    http_enabled: true
                    transport_enabled: true
                    order: 0
                    http_authenticator: { type: basic, challenge: false }
                    authentication_backend: { type: internal }
            """;
    /** The source's SAML domain, naming its own URLs. */
    private static final String SAML = """
                  saml_auth_domain:
                    http_enabled: true
                    transport_enabled: false
                    order: 1
                    http_authenticator:
                      type: saml
                      challenge: true
                      config:
                        idp: { metadata_url: "https://idp.source.example/metadata", entity_id: "https://idp.source.example" }
                        sp: { entity_id: "https://search.source.example" }
                        kibana_url: "https://dashboards.source.example/"
                        roles_key: Role
                        exchange_key: source-exchange-key-0c7d
                    authentication_backend: { type: noop }
            """;

    private static final String USERS = """
            _meta: { type: "internalusers", config_version: 2 }
            analyst:
              hash: "$2y$12$Yx1Jb1Jc3QJQ6fJrKQf3cOnbkP6mB0gfh0kTn9XwWcYxLwVwTQ7mO"
              backend_roles: ["analysts"]
            """;
    private static final String ROLES_MAPPING = """
            _meta: { type: "rolesmapping", config_version: 2 }
            readall:
              backend_roles: ["analysts"]
            """;

    private OpenSearchClient cluster;

    @Override
    protected boolean scheduledInContract() {
        return true;
    }

    /** The source's security configuration has a SAML domain by then (see the single sign-on test). */
    @Override
    protected String scheduledJobYaml() {
        return "sso: later\n";
    }

    @Override
    SearchFamily family() {
        return SearchFamily.OPENSEARCH;
    }

    /** The security plugin's files, two more indices, a template, a pipeline and a script. */
    @Override
    String prepare(TestHome home, OpenSearchTestSource source) {
        cluster = source.cluster;
        home.write(SECURITY + "/config.yml", CONFIG);
        home.write(SECURITY + "/internal_users.yml", USERS);
        home.write(SECURITY + "/roles_mapping.yml", ROLES_MAPPING);
        cluster.call("PUT", "/recipes", json("""
                {"settings": {"number_of_shards": 2, "number_of_replicas": 0,
                  "analysis": {"analyzer": {"folded": {"tokenizer": "standard",
                    "filter": ["lowercase", "asciifolding"]}}}},
                 "mappings": {"properties": {"title": {"type": "text", "analyzer": "folded"}}},
                 "aliases": {"cookbook": {}}}"""));
        for (int i = 1; i <= 20; i++) {
            cluster.call("PUT", "/recipes/_doc/" + i, json("{\"title\": \"Crème Brûlée " + i + "\"}"));
        }
        cluster.call("PUT", "/notes", json("{\"settings\": {\"number_of_replicas\": 0}}"));
        cluster.call("PUT", "/notes/_doc/1?refresh=true", json("{\"text\": \"one\"}"));
        cluster.call("PUT", "/_index_template/logs", json("""
                {"index_patterns": ["logs-*"], "template": {"settings": {"number_of_replicas": 0}}}"""));
        cluster.call("PUT", "/_ingest/pipeline/stamp", json("""
                {"processors": [{"set": {"field": "stamped", "value": true}}]}"""));
        cluster.call("PUT", "/_scripts/double", json("""
                {"script": {"lang": "painless", "source": "doc['price'].value * 2"}}"""));
        cluster.call("POST", "/_refresh", null);
        return "    security: " + SECURITY + "\n";
    }

    @Test
    @Order(3)
    void theForkHoldsTheSourcesIndicesAnalyzerAliasTemplatePipelineAndScriptAndNeverWritesIntoTheRepository() {
        OpenSearchClient fork = cluster(fork(source().admin()));
        Map<String, Long> counts = fork.documentCounts();
        assertThat(counts).isEqualTo(Map.of("recipes", 20L, "notes", 1L, "padding", (long) PADDING, "records", 400L));
        assertThat(fork.call("POST", "/cookbook/_search", json("""
                                {"query": {"match": {"title": "creme brulee 7"}}, "size": 1}"""))
                        .path("hits")
                        .path("hits")
                        .get(0)
                        .path("_id")
                        .asString())
                .isEqualTo("7");
        String analyze = """
                {"analyzer": "folded", "text": "Crème Brûlée À LA CARTE"}""";
        assertThat(fork.call("POST", "/recipes/_analyze", json(analyze)))
                .isEqualTo(cluster.call("POST", "/recipes/_analyze", json(analyze)));
        for (String path : List.of("/_index_template/logs", "/_ingest/pipeline/stamp", "/_scripts/double")) {
            assertThat(fork.call("GET", path, null)).as(path).isEqualTo(cluster.call("GET", path, null));
        }
        assertThatThrownBy(() -> fork.snapshot("forkrunner", "from-the-fork"))
                .as("the fork reads the service's repository, and never writes into it")
                .isInstanceOf(ForkrunnerException.class)
                .hasMessageContaining("readonly");

        assertThat(comparedWithBackup())
                .isEqualTo("equal: "
                        + counts.values().stream().mapToLong(Long::longValue).sum() + " documents in 4 indices; 1"
                        + " persistent settings, 1 index templates, 1 ingest pipelines, 1 stored scripts");
    }

    @Test
    @Order(4)
    void aForkThatDiffersFromItsBackupFailsTheComparisonNamingEachDifference() {
        JsonNode status = forkRunStatus();
        Matcher holds = Pattern.compile("^backup (\\S+) taken at ")
                .matcher(TestHome.step(status, "pick-backup")
                        .path("report")
                        .path("holds")
                        .asText());
        assertThat(holds.find()).as(status.toString()).isTrue();
        Path backup = null;
        for (JsonNode each : backups()) {
            if (each.path("id").asText().equals(holds.group(1))) {
                backup = Path.of(each.path("directory").asText());
            }
        }
        assertThat(backup).as("the fork's backup " + holds.group(1)).isNotNull();
        JsonNode provision = TestHome.step(status, "provision").path("report");
        Place place = new Place(
                Path.of(provision.path("directory").asText()),
                provision.path("port").asInt(),
                0);
        OpenSearchRestore restore = (OpenSearchRestore) new OpenSearchEngine(new Home(home().root()), Clock.systemUTC())
                .physicalRestore()
                .orElseThrow();
        Path recorded = backup;
        assertThat(restore.compareWithBackup(recorded, place, null))
                .hasValueSatisfying(equal -> assertThat(equal).startsWith("equal: "));

        OpenSearchClient fork = cluster(fork(source().admin()));
        fork.call("PUT", "/records/_doc/not-in-the-backup?refresh=true", json("""
                {"note": "written on the fork"}"""));
        fork.call("DELETE", "/_index_template/logs", null);
        try {
            assertThatThrownBy(() -> restore.compareWithBackup(recorded, place, null))
                    .isInstanceOf(ForkrunnerException.class)
                    .hasMessageContaining("the fork does not hold what its backup holds")
                    .hasMessageContaining("records=401")
                    .hasMessageContaining("the backup's {")
                    .hasMessageContaining("records=400")
                    .hasMessageContaining("index templates [logs] are missing");
        } finally {
            fork.call("DELETE", "/records/_doc/not-in-the-backup?refresh=true", null);
            fork.call(
                    "PUT",
                    "/_index_template/logs",
                    cluster.call("GET", "/_index_template/logs", null)
                            .path("index_templates")
                            .get(0)
                            .path("index_template"));
        }
    }

    @Test
    @Order(6)
    void aBackupBeyondKeepIsDeletedThroughTheClusterAndChecksAreRefused() throws IOException {
        JsonNode first = backups().get(0);
        home().write(SECURITY + "/config.yml", CONFIG + SAML); // carried by this backup on
        home().backUp("origin");
        assertThat(OpenSearchTestSource.snapshots(cluster))
                .hasSize(1)
                .doesNotContain(first.path("id").asText().toLowerCase());
        assertThat(Path.of(first.path("directory").asText())).doesNotExist();

        home().job("checked", """
                source: origin
                target:
                  name: checked-{run}
                checks:
                  - select 1
                """);
        home().write("jobs/search/mask.sql", "update recipes set title = 'masked';\n");
        home().job("masked", """
                source: origin
                target:
                  name: masked-{run}
                integrations:
                  - { type: sql, file: jobs/search/mask.sql }
                """);
        CliResult refused = home().cli("validate");
        assertThat(refused.exitCode()).as(refused.toString()).isEqualTo(2);
        assertThat(refused.err())
                .contains("jobs/checked.yml", "checks", "is not applicable to opensearch")
                .contains("jobs/masked.yml:5: integrations[0].type: \"sql\": is not for a opensearch service: its"
                        + " requests go with type: http");
        Files.delete(home().path("jobs/masked.yml"));
        Files.delete(home().path("jobs/checked.yml"));
    }

    /**
     * Read again while the fork restores it, a snapshot whose file changed fails the run at restore-data before the fork
     * is registered (job {@code own} gives its own single sign-on: see {@link #aSingleSignOnDomainIsNeverCarriedAsItIs}).
     */
    @Test
    @Order(9)
    void aSnapshotWhoseFileChangedInTheRepositoryIsRefusedAsDamagedBeforeTheForkIsUsed() throws Exception {
        Path blob;
        try (Stream<Path> files = Files.walk(home().path("var/backups/origin/repository"))) {
            blob = files.filter(file -> file.getFileName().toString().startsWith("__"))
                    .max(Comparator.comparingLong(file -> file.toFile().length()))
                    .orElseThrow();
        }
        String newest = backups().get(0).path("id").asText();
        int forks = JSON.readTree(home().cli("forks", "--json").out()).size();
        flip(blob);
        try {
            CliResult refused = home().cli("run", "own");
            assertThat(refused.exitCode()).as(refused.toString()).isEqualTo(1);
            assertThat(refused.out() + refused.err())
                    .contains("restore-data", newest + " of origin", "is damaged", "does not match its checksum");
            assertThat(JSON.readTree(home().cli("forks", "--json").out()).size())
                    .isEqualTo(forks);
            assertThat(OpenSearchTestSource.snapshots(cluster)).hasSize(1);
        } finally {
            flip(blob);
        }
    }

    /**
     * The backup carries the source's SAML domain: a run without {@code sso:} is refused at pick-backup; with the
     * fork's own settings, the fork's configuration has them and none of the source's URLs; with {@code sso: later},
     * the domain is off on the fork and the report, the status and the notification warn.
     */
    @Test
    @Order(7)
    void aSingleSignOnDomainIsNeverCarriedAsItIs() throws Exception {
        CliResult refused = home().cli("run", "origin");
        assertThat(refused.exitCode()).as(refused.toString()).isEqualTo(1);
        assertThat(refused.out() + refused.err())
                .contains("pick-backup", "has single sign-on (saml domain saml_auth_domain)", "sso: later");

        home().write("var/secrets/exchange-key", "fork-exchange-key-5be1");
        home().write("jobs/search/mask.http", """
                # every title masked, the notes gone
                POST /recipes/_update_by_query?refresh=true
                {"script": {"source": "ctx._source.title = 'masked'"}}

                DELETE /notes
                """);
        home().job("own", """
                source: origin
                target:
                  name: own-{run}
                integrations:
                  - { type: http, file: jobs/search/mask.http }
                sso:
                  saml:
                    idp_metadata_url: https://idp.fork.example/metadata
                    idp_entity_id: https://idp.fork.example
                    sp_entity_id: https://own.fork.example
                    dashboards_url: https://dashboards.fork.example/
                    roles_key: Group
                    exchange_key: ${file:var/secrets/exchange-key}
                """);
        CliResult own = home().cli("run", "own", "--json");
        assertThat(own.exitCode()).as(own.toString()).isZero();
        Path ownSecurity = home().path("var/regions/eu")
                .resolve(JSON.readTree(own.out()).path("fork").asText())
                .resolve("security");
        String ownConfig = Files.readString(ownSecurity.resolve("config.yml"));
        assertThat(ownConfig).doesNotContain("source.example", "source-exchange-key");
        Map<String, Object> saml = samlDomain(ownConfig);
        assertThat(saml.get("http_enabled")).isEqualTo(true);
        assertThat(saml.toString())
                .contains(
                        "metadata_url=https://idp.fork.example/metadata",
                        "entity_id=https://own.fork.example",
                        "kibana_url=https://dashboards.fork.example/",
                        "roles_key=Group",
                        "exchange_key=fork-exchange-key-5be1");
        assertThat(Files.readString(ownSecurity.resolve("internal_users.yml"))).isEqualTo(USERS);
        assertThat(Files.readString(ownSecurity.resolve("roles_mapping.yml"))).isEqualTo(ROLES_MAPPING);
        assertThat(own.out() + own.err()).doesNotContain("fork-exchange-key-5be1");
        JsonNode ownRun = JSON.readTree(own.out());
        assertThat(ownRun.path("warnings")).isEmpty();
        OpenSearchClient ownFork = cluster(
                new Endpoint("127.0.0.1", home().forkPort(ownRun.path("fork").asText()), "", null));
        assertThat(ownFork.indices()).doesNotContain("notes").contains("recipes");
        assertThat(ownFork.call("POST", "/recipes/_search", json("{\"size\": 100}"))
                        .path("hits")
                        .path("hits"))
                .hasSize(20)
                .allSatisfy(hit ->
                        assertThat(hit.path("_source").path("title").asString()).isEqualTo("masked"));
        assertThat(cluster.documentCount("notes")).isEqualTo(1L);
        assertThat(Files.readString(
                        home().path("var/log/runs/" + ownRun.path("run").asText() + "-integration-1.log")))
                .contains("POST /recipes/_update_by_query?refresh=true: updated 20", "DELETE /notes: acknowledged");

        try (WebhookReceiver hooks = WebhookReceiver.start()) {
            home().job("later", """
                    source: origin
                    target:
                      name: later-{run}
                    users: none
                    sso: later
                    notifications:
                      - { on: success, url: "%s" }
                    """.formatted(hooks.url("/done")));
            CliResult later = home().cli("run", "later", "--json");
            assertThat(later.exitCode()).as(later.toString()).isZero();
            JsonNode run = JSON.readTree(later.out());
            assertThat(run.path("warnings").get(0).asString())
                    .startsWith("SSO must be reconfigured for this fork")
                    .contains("saml domain saml_auth_domain", "http://127.0.0.1:");
            assertThat(home().cli("status", run.path("run").asString()).out())
                    .contains("warning: SSO must be reconfigured for this fork");
            JsonNode notified = Awaitility.await()
                    .atMost(Duration.ofSeconds(60))
                    .until(() -> hooks.first("run.succeeded"), body -> body != null);
            assertThat(notified.path("warnings").get(0).asString()).contains("SSO must be reconfigured");
            Path laterSecurity = home().path("var/regions/eu")
                    .resolve(run.path("fork").asText())
                    .resolve("security");
            String laterConfig = Files.readString(laterSecurity.resolve("config.yml"));
            assertThat(laterConfig).doesNotContain("source.example", "source-exchange-key");
            assertThat(samlDomain(laterConfig).get("http_enabled")).isEqualTo(false);
            assertThat(Files.readString(laterSecurity.resolve("internal_users.yml")))
                    .contains("internalusers")
                    .doesNotContain("analyst");
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> samlDomain(String config) {
        Map<String, Object> yaml = new Yaml().load(config);
        Map<String, Object> dynamic = (Map<String, Object>) ((Map<String, Object>) yaml.get("config")).get("dynamic");
        return (Map<String, Object>) ((Map<String, Object>) dynamic.get("authc")).get("saml_auth_domain");
    }

    private JsonNode backups() {
        return JSON.readTree(home().cli("backups", "origin", "--json").out()).path("backups");
    }

    private static void flip(Path file) throws IOException {
        try (RandomAccessFile bytes = new RandomAccessFile(file.toFile(), "rw")) {
            long middle = bytes.length() / 2;
            bytes.seek(middle);
            int b = bytes.read();
            bytes.seek(middle);
            bytes.write(b ^ 0x01);
        }
    }
}
