package io.forkrunner.engine.opensearch;

import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.EngineContractTest;
import io.forkrunner.testing.TestHome;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What the search engines share of the engine contract: without point in time (a fork holds the newest snapshot taken
 * by then) and without users (no security plugin here). The records are the documents of index {@code records}, each
 * holding its note; the setting is a persistent cluster setting, which the snapshot's global state carries. Each
 * engine's source also holds random megabytes ({@link #PADDING} documents, ~12 MB of files) that make the restore, at
 * copy-rate 4MB, last long enough for the kill test to catch it.
 */
abstract class SearchContractTest extends EngineContractTest {

    static final JsonMapper JSON = JsonMapper.builder().build();
    static final int PADDING = 3000;

    /** The server the engine's sources and forks run. */
    abstract SearchFamily family();

    /**
     * Gives the source what the engine's own tests need besides the contract's; returns the lines its declaration in
     * services.yml adds.
     */
    String prepare(TestHome home, OpenSearchTestSource source) {
        return "";
    }

    @Override
    protected Source startSource(TestHome home, String name) {
        OpenSearchTestSource source = OpenSearchTestSource.start(family(), home, name);
        source.cluster.call("PUT", "/padding", json("{\"settings\": {\"number_of_replicas\": 0}}"));
        OpenSearchTestSource.randomDocuments(source.cluster, "padding", PADDING, 42);
        String declared = prepare(home, source);
        return new Source() {
            @Override
            public Endpoint admin() {
                return new Endpoint("127.0.0.1", source.port(), "", null);
            }

            @Override
            public String serviceYaml(String service, String region, String backups) {
                return source.serviceYaml(service, region, backups) + declared;
            }

            @Override
            public void stop() {
                source.close();
            }
        };
    }

    @Override
    protected boolean pointInTime() {
        return false;
    }

    @Override
    protected boolean hasUsers() {
        return false;
    }

    @Override
    protected String backupsYaml() {
        return "{ keep: 1 }";
    }

    /** Restoring the snapshot, with some bytes restored already. */
    @Override
    protected boolean layingDown(JsonNode step) {
        return OpenSearchTestSource.restoring(step);
    }

    @Override
    protected String database() {
        return null;
    }

    @Override
    protected void createRecordStore(Endpoint admin) {
        cluster(admin).call("PUT", "/records", json("{\"settings\": {\"number_of_replicas\": 0}}"));
    }

    @Override
    protected void insert(Endpoint admin, int from, int to) {
        StringBuilder lines = new StringBuilder();
        for (int id = from; id <= to; id++) {
            lines.append("{\"index\": {\"_index\": \"records\", \"_id\": \"")
                    .append(id)
                    .append("\"}}\n");
            lines.append(JSON.createObjectNode().put("id", id).put("note", note(id)))
                    .append('\n');
        }
        OpenSearchTestSource.bulk(cluster(admin), lines.toString());
    }

    @Override
    protected List<String> records(Endpoint server) {
        List<String> records = new ArrayList<>();
        for (JsonNode hit : cluster(server)
                .call("POST", "/records/_search", json("{\"size\": 10000, \"query\": {\"match_all\": {}}}"))
                .path("hits")
                .path("hits")) {
            records.add(hit.path("_source").path("id").asInt() + "|"
                    + hit.path("_source").path("note").asString());
        }
        return records;
    }

    @Override
    protected void createReader(Endpoint admin, String password) {
        throw new UnsupportedOperationException("no users without the security plugin");
    }

    @Override
    protected int readerReads(Endpoint reader) {
        throw new UnsupportedOperationException("no users without the security plugin");
    }

    @Override
    protected Map.Entry<String, String> nonDefaultSetting() {
        return Map.entry("search.default_search_timeout", "41s");
    }

    @Override
    protected void setSetting(Endpoint admin, String name, String value) {
        cluster(admin)
                .call(
                        "PUT",
                        "/_cluster/settings",
                        JSON.createObjectNode()
                                .set("persistent", JSON.createObjectNode().put(name, value)));
    }

    @Override
    protected String readSetting(Endpoint admin, String name) {
        return cluster(admin)
                .call("GET", "/_cluster/settings?flat_settings=true", null)
                .path("persistent")
                .path(name)
                .asString("");
    }

    @Override
    protected SortedSet<String> users(Endpoint admin) {
        return new TreeSet<>();
    }

    static OpenSearchClient cluster(Endpoint endpoint) {
        return new OpenSearchClient(URI.create("http://127.0.0.1:" + endpoint.port()));
    }

    static JsonNode json(String text) {
        return JSON.readTree(text);
    }
}
