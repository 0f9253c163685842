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
 * OpenSearch clusters of forkrunner's on this host, from its OpenSearch home: each instance is a cluster named after
 * its directory, answering HTTP on its port (its nodes' transports on any free ports of 127.0.0.1), of one node unless
 * a fork's source had more ({@link OpenSearchCluster}).
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
        OpenSearchCluster cluster = engine.cluster(place);
        cluster.configure(place.directory().getFileName().toString(), 1, place.port(), List.of());
        cluster.start();
    }

    @Override
    public void start(Place place) {
        engine.cluster(place).start();
    }

    @Override
    public void stop(Place place) {
        engine.cluster(place).stop();
    }

    @Override
    public boolean running(Place place) {
        return engine.cluster(place).isRunning();
    }
}
