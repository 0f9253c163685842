package io.forkrunner.engine.cassandra;

import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.Place;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.Secret;
import io.forkrunner.system.ServiceUser;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A cluster of forkrunner's Cassandra nodes at a place, as its layout {@value #LAYOUT} there describes it: node
 * {@code N} in the directory {@code node-N}, listening on the loopback address {@code 127.0.0.N}, with the tokens, data
 * center and rack the layout gives it; every node on the place's port for CQL and on one storage port, each with a
 * JMX port of its own (both chosen free when the layout is made, then kept), and each with the settings the layout
 * adds to its configuration.
 */
final class CassandraCluster {

    static final String LAYOUT = "cluster.json";

    private final CassandraEngine engine;
    private final Place place;
    private final JsonNode layout;

    private CassandraCluster(CassandraEngine engine, Place place, JsonNode layout) {
        this.engine = engine;
        this.place = place;
        this.layout = layout;
    }

    /** The cluster at {@code place}, as its layout describes it; refused when it has none. */
    static CassandraCluster at(CassandraEngine engine, Place place) {
        String text = ServiceUser.readIfExists(place.directory().resolve(LAYOUT));
        if (text.isBlank()) {
            throw new ForkrunnerException(
                    "no Cassandra cluster of forkrunner's at " + place.directory() + ": it has no " + LAYOUT);
        }
        return new CassandraCluster(engine, place, CassandraBackups.JSON.readTree(text));
    }

    /**
     * The cluster at {@code place} with a node for each of {@code nodes} (as a backup records them: tokens, data center,
     * rack), each with {@code settings}; its layout is written the first time and kept after.
     */
    static CassandraCluster layOut(CassandraEngine engine, Place place, JsonNode nodes, Map<String, String> settings) {
        Path file = place.directory().resolve(LAYOUT);
        if (!ServiceUser.readIfExists(file).isBlank()) {
            return at(engine, place);
        }
        if (nodes.size() < 1 || nodes.size() > 254) {
            throw new ForkrunnerException(
                    "a Cassandra cluster of forkrunner's has 1 to 254 nodes, not " + nodes.size());
        }
        List<String> addresses = new ArrayList<>();
        for (int node = 1; node <= nodes.size(); node++) {
            addresses.add(address(node));
        }
        List<Integer> taken = new ArrayList<>(List.of(place.port()));
        ObjectNode layout = CassandraBackups.JSON.createObjectNode();
        layout.put("storage-port", freePort(addresses, taken));
        var described = layout.putArray("nodes");
        for (JsonNode node : nodes) {
            ObjectNode each = described
                    .addObject()
                    .put("datacenter", node.path("datacenter").asString("datacenter1"))
                    .put("rack", node.path("rack").asString("rack1"))
                    .put("jmx-port", freePort(addresses, taken));
            var tokens = each.putArray("tokens");
            node.path("tokens").forEach(token -> tokens.add(token.asString()));
        }
        ObjectNode added = layout.putObject("settings");
        settings.forEach(added::put);
        engine.runner().serviceUser().write(file, layout.toPrettyString() + "\n");
        return new CassandraCluster(engine, place, layout);
    }

    /**
     * The nodes of a fork of {@code target} nodes (null: as many as the backup's) from a backup whose source had the
     * {@code recorded} nodes: those, each with its tokens, data center and rack, when as many; else as many new nodes,
     * each with as many tokens (virtual nodes) as a source's node had most, all spread evenly over the ring and dealt
     * out in turn (node N takes the N-th of each round), each node in the data center and rack of the source's nodes in
     * turn, for the bulk loader to stream the rows to. Never fewer.
     */
    static JsonNode nodesFor(JsonNode recorded, Integer target) {
        if (target == null || target == recorded.size()) {
            return recorded;
        }
        if (target < recorded.size()) {
            throw new ForkrunnerException("a fork of " + target + " nodes from a backup of " + recorded.size()
                    + " would lose the rows of the token ranges its missing nodes owned");
        }
        int perNode = 1;
        for (JsonNode node : recorded) {
            perNode = Math.max(perNode, node.path("tokens").size());
        }
        List<String> tokens = CassandraNode.spreadTokens(target * perNode);
        var nodes = CassandraBackups.JSON.createArrayNode();
        for (int node = 0; node < target; node++) {
            JsonNode like = recorded.path(node % recorded.size());
            ObjectNode each = nodes.addObject()
                    .put("datacenter", like.path("datacenter").asString("datacenter1"))
                    .put("rack", like.path("rack").asString("rack1"));
            var owned = each.putArray("tokens");
            for (int round = 0; round < perNode; round++) {
                owned.add(tokens.get(round * target + node));
            }
        }
        return nodes;
    }

    int size() {
        return layout.path("nodes").size();
    }

    /** The port every node listens on for the others, on its own address. */
    int storagePort() {
        return layout.path("storage-port").asInt();
    }

    Path nodeDirectory(int node) {
        return place.directory().resolve("node-" + node);
    }

    static String address(int node) {
        return "127.0.0." + node;
    }

    /** Node {@code node} as the layout describes it. */
    CassandraNode node(int node) {
        JsonNode described = layout.path("nodes").path(node - 1);
        List<String> tokens = new ArrayList<>();
        described.path("tokens").forEach(token -> tokens.add(token.asString()));
        Map<String, String> settings = new TreeMap<>();
        layout.path("settings")
                .properties()
                .forEach(setting ->
                        settings.put(setting.getKey(), setting.getValue().asString()));
        return engine.node(
                nodeDirectory(node),
                new CassandraNode.Settings(
                        place.directory().getFileName().toString(),
                        address(node),
                        place.port(),
                        layout.path("storage-port").asInt(),
                        described.path("jmx-port").asInt(),
                        tokens,
                        List.of(address(1) + ":" + layout.path("storage-port").asInt()),
                        described.path("datacenter").asString(),
                        described.path("rack").asString(),
                        settings));
    }

    Path log(int node) {
        return node(node).log();
    }

    /** The fork as {@code login}'s user and password, through its first node. */
    Endpoint endpoint(Endpoint login) {
        return endpoint(1, login);
    }

    /** The fork as {@code login}'s user and password, through its node {@code node} (from 1). */
    Endpoint endpoint(int node, Endpoint login) {
        return new Endpoint(address(node), place.port(), login.user(), login.password());
    }

    /** The superuser a new cluster makes for itself, with its well-known password. */
    Endpoint defaultSuperuser() {
        return new Endpoint(
                address(1),
                place.port(),
                CassandraRoles.DEFAULT_SUPERUSER,
                new Secret(CassandraRoles.DEFAULT_SUPERUSER));
    }

    /** Configures and starts the nodes that do not run, one after another, the first as the seed. */
    void start() {
        for (int node = 1; node <= size(); node++) {
            CassandraNode server = node(node);
            if (!server.isRunning()) {
                server.configure();
                server.start();
            }
        }
    }

    /**
     * Adds {@code settings} to every node's configuration, keeping them in the layout, and restarts the nodes one
     * after another to take them.
     */
    void reconfigure(Map<String, String> settings) {
        ObjectNode changed = (ObjectNode) layout;
        settings.forEach(((ObjectNode) changed.path("settings"))::put);
        engine.runner().serviceUser().write(place.directory().resolve(LAYOUT), changed.toPrettyString() + "\n");
        for (int node = 1; node <= size(); node++) {
            CassandraNode server = node(node);
            server.stop();
            server.configure();
            server.start();
        }
    }

    /** Stops every node that runs, the last first. */
    void stop() {
        for (int node = size(); node >= 1; node--) {
            node(node).stop();
        }
    }

    /** Whether any node runs. */
    boolean running() {
        for (int node = 1; node <= size(); node++) {
            if (node(node).isRunning()) {
                return true;
            }
        }
        return false;
    }

    CassandraJmx jmx(int node) {
        return CassandraJmx.connect(
                CassandraNode.JMX_HOST,
                layout.path("nodes").path(node - 1).path("jmx-port").asInt(),
                "node " + node + " of fork " + place.directory().getFileName());
    }

    /** A port free now on every one of {@code addresses}, and not one of {@code taken}, which it joins. */
    private static int freePort(List<String> addresses, List<Integer> taken) {
        for (int attempt = 0; attempt < 100; attempt++) {
            int port;
            try (ServerSocket probe = new ServerSocket()) {
                probe.bind(new InetSocketAddress(addresses.get(0), 0));
                port = probe.getLocalPort();
            } catch (IOException e) {
                throw new ForkrunnerException("cannot find a free port on " + addresses.get(0) + ": " + e.getMessage());
            }
            if (!taken.contains(port) && freeOnAll(addresses, port)) {
                taken.add(port);
                return port;
            }
        }
        throw new ForkrunnerException("found no port free on every one of " + addresses);
    }

    private static boolean freeOnAll(List<String> addresses, int port) {
        for (String address : addresses) {
            try (ServerSocket probe = new ServerSocket()) {
                probe.bind(new InetSocketAddress(address, port));
            } catch (IOException e) {
                return false;
            }
        }
        return true;
    }
}
