package io.forkrunner.demo;

import io.forkrunner.Forkrunner;
import io.forkrunner.backup.BackupKeeper;
import io.forkrunner.backup.StoredBackup;
import io.forkrunner.engine.opensearch.OpenSearchClient;
import io.forkrunner.engine.opensearch.OpenSearchNode;
import io.forkrunner.engine.opensearch.SearchFamily;
import io.forkrunner.fork.ForkRecord;
import io.forkrunner.fork.ForkRegistry;
import io.forkrunner.report.RunView;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.Home;
import io.forkrunner.system.ProcessRunner;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The demo with an OpenSearch source of its own ({@code var/demo-opensearch}): a node of the OpenSearch home with the
 * shop's customers and orders as two indices, the service's snapshot repository in its {@code path.repo}; a verified
 * snapshot; orders indexed after it; a fork of the newest snapshot, its customers' emails masked by an {@code http}
 * integration; the report, and a line that shows the fork holds the shop as of the snapshot. OpenSearch has no point in
 * time between snapshots.
 */
final class OpenSearchDemo extends OwnSourceDemo {

    static final int FIRST_PORT = 16780;
    private static final int CUSTOMERS = 20;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    OpenSearchDemo(Home home, String service, String job, PrintWriter out, String metadata) {
        super(home, service, job, out, metadata);
    }

    @Override
    RunView run() throws Exception {
        ProcessRunner runner = new ProcessRunner(OpenSearchNode.serviceUser());
        // as an operator sets a cluster up for forkrunner: the repository is the cluster's to write, in its path.repo
        Path repository =
                runner.serviceUser().privateDirectory(home.backups(service).resolve("repository"));
        OpenSearchNode node =
                new OpenSearchNode(SearchFamily.OPENSEARCH, runner, home.var().resolve("source"));
        Path portFile = home.var().resolve("source.port");
        if (!Files.exists(portFile)) {
            Files.writeString(portFile, DemoSource.freePort(FIRST_PORT) + "\n");
        }
        int port = Integer.parseInt(Files.readString(portFile).strip());
        if (!node.isRunning()) {
            node.start(service, port, List.of(repository));
        }
        OpenSearchClient source = new OpenSearchClient(URI.create("http://127.0.0.1:" + port));
        writeDefinitions(port);
        for (int id = 1; id <= CUSTOMERS; id++) {
            source.call(
                    "PUT",
                    "/customers/_doc/" + id,
                    JSON.createObjectNode().put("name", "Customer " + id).put("email", "person" + id + "@example.com"));
        }
        int first = newestOrder(source) >= 100 ? newestOrder(source) : addOrders(source, 100, "seed");
        out.printf(
                "1. source %s: OpenSearch on 127.0.0.1:%d, the shop's %d customers and %d orders as two indices%n",
                service, port, CUSTOMERS, first);
        try (Forkrunner forkrunner = Forkrunner.boot(home, false)) {
            StoredBackup backup = forkrunner.bean(BackupKeeper.class).backup(service);
            out.printf(
                    "2. snapshot %s into %s: every file checked against its checksum, its documents counted in a node"
                            + " of forkrunner's, %d KB%n",
                    backup.id(), home.relative(repository), backup.sizeBytes() / 1024);
            int after = addOrders(source, 50, "after the snapshot");
            out.printf(
                    "3. indexed orders up to id %d after the snapshot; an OpenSearch fork holds a snapshot's moment%n",
                    after);
            RunView run = forkNewestSnapshot(forkrunner);
            ForkRecord fork =
                    forkrunner.bean(ForkRegistry.class).find(run.fork()).orElseThrow();
            OpenSearchClient forked = new OpenSearchClient(URI.create("http://127.0.0.1:" + fork.port()));
            int newest = newestOrder(forked);
            out.printf(
                    "5. the fork holds %d orders, the newest id %d: the shop as of snapshot %s (the source has orders"
                            + " up to id %d)%n",
                    forked.documentCount("orders"), newest, backup.id(), after);
            if (newest != first) {
                throw new ForkrunnerException("the fork's newest order is " + newest + ", not " + first);
            }
            out.printf(
                    "   customers were masked on the fork by jobs/search/mask.http: %s%n",
                    forked.call("GET", "/customers/_doc/1", null)
                            .path("_source")
                            .path("email")
                            .asString());
            printWhere(
                    fork,
                    run,
                    String.format("curl 'http://127.0.0.1:%d/orders/_search?q=note:seed&size=3'", fork.port()));
            return run;
        }
    }

    private void writeDefinitions(int port) throws IOException {
        write("config/forkrunner.yml", metadata);
        write(
                "config/services.yml",
                "regions:\n  demo: { provisioner: local, root: var/regions/demo, ports: 16700-16779 }\n"
                        + "services:\n  " + service + ":\n    engine: opensearch\n    region: demo\n"
                        + "    host: 127.0.0.1\n    port: " + port + "\n    backups: { keep: 2 }\n");
        write(
                "jobs/" + job + ".yml",
                "description: The demo's fork of the shop, customers masked\n"
                        + "source: " + service + "\ntarget:\n  name: " + service + "-{run}\n"
                        + "integrations:\n  - { type: http, file: jobs/search/mask.http }\nretention:\n  keep: 2\n");
        write(
                "jobs/search/mask.http",
                "# every customer's email masked on the fork\n"
                        + "POST /customers/_update_by_query?refresh=true\n"
                        + "{\"script\": {\"source\": \"ctx._source.email = 'customer-' + ctx._id + '@example.invalid'\"}}\n");
    }

    /** Indexes {@code count} orders after the newest; returns the newest id. */
    private static int addOrders(OpenSearchClient cluster, int count, String note) {
        int newest = newestOrder(cluster);
        for (int id = newest + 1; id <= newest + count; id++) {
            ObjectNode order = JSON.createObjectNode().put("id", id).put("customer", 1 + id % CUSTOMERS);
            cluster.call("PUT", "/orders/_doc/" + id, order.put("note", note));
        }
        cluster.call("POST", "/_refresh", null);
        return newest + count;
    }

    /** The newest order's id; 0 when there is none (or no index yet). */
    private static int newestOrder(OpenSearchClient cluster) {
        if (!cluster.indices().contains("orders")) {
            return 0;
        }
        return cluster.call(
                        "POST",
                        "/orders/_search",
                        JSON.readTree("{\"size\": 0, \"aggs\": {\"newest\": {\"max\": {\"field\": \"id\"}}}}"))
                .path("aggregations")
                .path("newest")
                .path("value")
                .asInt(0);
    }
}
