package io.forkrunner.engine.opensearch;

import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.ProcessRunner;
import io.forkrunner.system.ServerProcess;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A cluster of forkrunner's OpenSearch nodes in one directory: node 1 in the directory itself, answering HTTP on the
 * cluster's port, and node N (2, 3, ...) in {@code node-N/} of it, on any free port. Node 1 alone may manage the
 * cluster, which forms around it; the others hold data and join it at its transport address, read when they start (it
 * binds any free port), so a node 1 that starts again takes its nodes with it. A cluster of one node is the
 * {@link OpenSearchNode} alone.
 */
public final class OpenSearchCluster {

    private static final Duration FORM_TIMEOUT = Duration.ofMinutes(5);
    private static final Duration POLL = Duration.ofMillis(300);

    private final SearchFamily family;
    private final ProcessRunner runner;
    private final Path directory;

    public OpenSearchCluster(SearchFamily family, ProcessRunner runner, Path directory) {
        this.family = family;
        this.runner = runner;
        this.directory = directory.toAbsolutePath().normalize();
    }

    /** Node {@code n}, counted from 1. */
    OpenSearchNode node(int n) {
        return new OpenSearchNode(family, runner, n == 1 ? directory : directory.resolve("node-" + n));
    }

    /** The nodes configured: node 1, then each further one whose configuration is there. */
    List<OpenSearchNode> nodes() {
        List<OpenSearchNode> nodes = new ArrayList<>(List.of(node(1)));
        while (Files.exists(
                node(nodes.size() + 1).configDirectory().resolve(family.configFile()), LinkOption.NOFOLLOW_LINKS)) {
            nodes.add(node(nodes.size() + 1));
        }
        return nodes;
    }

    /** Where the cluster answers HTTP: node 1. */
    public URI uri() {
        return node(1).uri();
    }

    /**
     * Configures a cluster {@code name} of {@code nodes} nodes, node 1 answering HTTP on {@code httpPort}, every node
     * with {@code repositories} as its {@code path.repo}. Nodes configured before and running are stopped first.
     */
    public void configure(String name, int nodes, int httpPort, List<Path> repositories) {
        if (nodes < 1) {
            throw new ForkrunnerException("a cluster has at least one node, not " + nodes);
        }
        stop();
        for (int n = 1; n <= nodes; n++) {
            node(n).configure(name, n, nodes, n == 1 ? httpPort : 0, repositories);
        }
    }

    /**
     * Starts the nodes that do not run, node 1 first (and when it did not run, the others again after it, since they
     * look for it where it was), and waits until every node has joined.
     */
    public void start() {
        List<OpenSearchNode> nodes = nodes();
        OpenSearchNode first = nodes.get(0);
        if (!first.isRunning()) {
            for (OpenSearchNode node : nodes.subList(1, nodes.size())) {
                node.stop();
            }
            first.start();
        }
        if (nodes.size() == 1) {
            return;
        }
        String seed = first.transportAddress();
        for (OpenSearchNode node : nodes.subList(1, nodes.size())) {
            if (!node.isRunning()) {
                node.seed(seed);
                node.start();
            }
        }
        OpenSearchClient cluster = new OpenSearchClient(first.uri());
        long deadline = System.nanoTime() + FORM_TIMEOUT.toNanos();
        int joined;
        while ((joined = cluster.call("GET", "/_cluster/health", null)
                        .path("number_of_nodes")
                        .asInt())
                < nodes.size()) {
            if (System.nanoTime() > deadline) {
                throw new ForkrunnerException("only " + joined + " of the " + nodes.size() + " nodes of the "
                        + family.title() + " cluster in " + directory + " joined it within " + FORM_TIMEOUT
                        + "; see the nodes' logs/node.out");
            }
            ServerProcess.pause(POLL, "the nodes of the cluster in " + directory);
        }
    }

    /** Stops every node by its own pid, node 1 last. */
    public void stop() {
        List<OpenSearchNode> nodes = nodes();
        for (int n = nodes.size() - 1; n >= 0; n--) {
            nodes.get(n).stop();
        }
    }

    /** Whether node 1, which the cluster forms around, runs. */
    public boolean isRunning() {
        return node(1).isRunning();
    }
}
