package io.forkrunner.engine.cassandra;

import io.forkrunner.engine.MajorMinor;
import io.forkrunner.engine.Place;
import io.forkrunner.engine.Servers;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.Secret;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Cassandra clusters of forkrunner's on this host, from its Cassandra home: an instance is a cluster whose nodes lie in
 * its directory ({@code node-1}, {@code node-2}, ...), all started and stopped together.
 */
final class CassandraServers implements Servers {

    private final CassandraEngine engine;

    CassandraServers(CassandraEngine engine) {
        this.engine = engine;
    }

    @Override
    public void makeDirectory(Path directory) {
        engine.runner().serviceUser().privateDirectory(directory);
    }

    /** A backup restores into the Cassandra here when it is of the same major version and not newer. */
    @Override
    public Optional<String> cannotRun(int version) {
        int here;
        try {
            here = CassandraNode.installedVersion();
        } catch (ForkrunnerException e) {
            return Optional.of(e.getMessage());
        }
        return here / 100 == version / 100 && here >= version
                ? Optional.empty()
                : Optional.of("a backup of Cassandra " + MajorMinor.text(version)
                        + " does not restore into the Cassandra here, " + MajorMinor.text(here));
    }

    /** An empty one-node cluster, its superuser the one a new cluster makes for itself. */
    @Override
    public void initialize(Place place, Secret superuserPassword, Map<String, String> settings) {
        CassandraCluster.layOut(engine, place, CassandraBackups.JSON.readTree("[{\"tokens\": [\"0\"]}]"), Map.of())
                .start();
    }

    @Override
    public void start(Place place) {
        CassandraCluster.at(engine, place).start();
    }

    @Override
    public void stop(Place place) {
        if (laidOut(place)) {
            CassandraCluster.at(engine, place).stop();
        }
    }

    @Override
    public boolean running(Place place) {
        return laidOut(place) && CassandraCluster.at(engine, place).running();
    }

    private static boolean laidOut(Place place) {
        return Files.exists(place.directory().resolve(CassandraCluster.LAYOUT), LinkOption.NOFOLLOW_LINKS);
    }
}
