package io.forkrunner.engine.opensearch;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkrunner.system.ProcessRunner;
import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestHome;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * An OpenSearch source a test starts under its home ({@code var/sources/NAME}), set up as an operator sets a cluster up
 * for forkrunner: forkrunner's repository of the service, {@code var/backups/NAME/repository}, is the cluster's to
 * write and lies in its {@code path.repo}.
 */
public final class OpenSearchTestSource implements AutoCloseable {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    final SearchFamily family;
    final OpenSearchNode node;
    final OpenSearchClient cluster;

    private OpenSearchTestSource(SearchFamily family, OpenSearchNode node) {
        this.family = family;
        this.node = node;
        this.cluster = new OpenSearchClient(node.uri());
    }

    /** The home of {@code family}, as forkrunner finds it: the one its variable names, else the assembled one. */
    static Path home(SearchFamily family) {
        Path home = family.home();
        assertThat(home.resolve("lib"))
                .as("a " + family.title() + " home; run-tests assembles it with " + family.assembly())
                .isDirectory();
        return home;
    }

    public static OpenSearchTestSource start(TestHome home, String name) {
        return start(SearchFamily.OPENSEARCH, home, name);
    }

    /** A source node of {@code family}'s server, as service {@code name}. */
    static OpenSearchTestSource start(SearchFamily family, TestHome home, String name) {
        ProcessRunner runner = new ProcessRunner(OpenSearchNode.serviceUser());
        Path repository = runner.serviceUser().privateDirectory(home.path("var/backups/" + name + "/repository"));
        home(family); // there, or the test says how to make it
        OpenSearchNode node = new OpenSearchNode(family, runner, home.path("var/sources/" + name));
        node.start(name, Ports.one(), List.of(repository));
        return new OpenSearchTestSource(family, node);
    }

    public int port() {
        return node.uri().getPort();
    }

    /** The source's cluster, over HTTP. */
    public OpenSearchClient client() {
        return cluster;
    }

    /** The declaration of the service {@code name} in services.yml. */
    String serviceYaml(String name, String region, String backups) {
        return """
                  %s:
                    engine: %s
                    region: %s
                    host: 127.0.0.1
                    port: %d
                    backups: %s
                """.formatted(name, family.engine(), region, port(), backups);
    }

    /** Sends {@code lines} (newline-delimited JSON) to {@code _bulk} and refreshes; fails on any error. */
    void bulk(String lines) {
        bulk(cluster, lines);
    }

    static void bulk(OpenSearchClient cluster, String lines) {
        try {
            HttpResponse<String> response = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create(cluster.base() + "/_bulk?refresh=true"))
                                    .header("Content-Type", "application/x-ndjson")
                                    .POST(HttpRequest.BodyPublishers.ofString(lines))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(JSON.readTree(response.body()).path("errors").asBoolean(true))
                    .as(response.body()
                            .substring(0, Math.min(500, response.body().length())))
                    .isFalse();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * {@code count} documents of 3,000 random bytes each (base64) into index {@code index}: megabytes that neither
     * compress nor restore in no time.
     */
    static void randomDocuments(OpenSearchClient cluster, String index, int count, long seed) {
        Random random = new Random(seed);
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < count; i++) {
            byte[] bytes = new byte[3000];
            random.nextBytes(bytes);
            lines.append("{\"index\": {\"_index\": \"")
                    .append(index)
                    .append("\", \"_id\": \"")
                    .append(i)
                    .append("\"}}\n");
            lines.append("{\"blob\": \"")
                    .append(Base64.getEncoder().encodeToString(bytes))
                    .append("\"}\n");
        }
        bulk(cluster, lines.toString());
    }

    /** The snapshots in forkrunner's repository of {@code cluster}, by name. */
    static List<String> snapshots(OpenSearchClient cluster) {
        List<String> names = new ArrayList<>();
        cluster.call("GET", "/_snapshot/forkrunner/_all", null)
                .path("snapshots")
                .forEach(snapshot -> names.add(snapshot.path("snapshot").asString()));
        return names;
    }

    /** Whether a fork's restore-data step, as {@code status --json} shows it, restores a snapshot with bytes restored. */
    static boolean restoring(JsonNode step) {
        String progress = step.path("progress").asText();
        return step.path("state").asText().equals("STARTED")
                && progress.startsWith("bytes restored")
                && !progress.startsWith("bytes restored: 0 ");
    }

    @Override
    public void close() {
        node.stop();
    }
}
