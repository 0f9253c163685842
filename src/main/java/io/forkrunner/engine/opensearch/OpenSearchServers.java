package io.forkrunner.engine.opensearch;

import io.forkrunner.engine.MajorMinor;
import io.forkrunner.engine.Place;
import io.forkrunner.engine.Servers;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.Secret;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * OpenSearch nodes of forkrunner's on this host, from its OpenSearch home: each instance is a one-node cluster named
 * after its directory, answering HTTP on its port (its transport on any free port of 127.0.0.1, which no other node
 * joins).
 */
final class OpenSearchServers implements Servers {

    private final OpenSearchEngine engine;

    OpenSearchServers(OpenSearchEngine engine) {
        this.engine = engine;
    }

    @Override
    public void makeDirectory(Path directory) {
        engine.runner().serviceUser().privateDirectory(directory);
    }

    /** A snapshot restores into the same or a newer version of its major. */
    @Override
    public Optional<String> cannotRun(int version) {
        int here;
        try {
            here = engine.installedVersion();
        } catch (ForkrunnerException e) {
            return Optional.of(e.getMessage());
        }
        // OpenSearch, forked from Elasticsearch 7.10, restores Elasticsearch 7 snapshots (there is no OpenSearch 7)
        boolean elasticsearch7 = engine.family() == SearchFamily.OPENSEARCH && version / 100 == 7;
        return here / 100 == version / 100 && here >= version || elasticsearch7
                ? Optional.empty()
                : Optional.of("a snapshot of " + engine.title() + " " + MajorMinor.text(version)
                        + " does not restore into the " + engine.title() + " here, " + MajorMinor.text(here));
    }

    /** An empty node: OpenSearch has no superuser without its security plugin, so no password. */
    @Override
    public void initialize(Place place, Secret superuserPassword, Map<String, String> settings) {
        OpenSearchNode node = engine.node(place);
        node.configure(place.directory().getFileName().toString(), place.port(), 0, List.of());
        node.start();
    }

    @Override
    public void start(Place place) {
        engine.node(place).start();
    }

    @Override
    public void stop(Place place) {
        engine.node(place).stop();
    }

    @Override
    public boolean running(Place place) {
        return engine.node(place).isRunning();
    }
}
