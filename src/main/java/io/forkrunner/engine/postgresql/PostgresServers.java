package io.forkrunner.engine.postgresql;

import io.forkrunner.engine.Place;
import io.forkrunner.engine.Servers;
import io.forkrunner.system.Secret;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/** PostgreSQL servers of the versions installed here (or carried by forkrunner), each in a directory of its own. */
final class PostgresServers implements Servers {

    private final PostgresEngine engine;

    PostgresServers(PostgresEngine engine) {
        this.engine = engine;
    }

    @Override
    public void makeDirectory(Path directory) {
        engine.runner().serviceUser().privateDirectory(directory);
    }

    @Override
    public Optional<String> cannotRun(int version) {
        return PostgresBinaries.available(version)
                ? Optional.empty()
                : Optional.of("PostgreSQL " + version + " is not installed here; installed: "
                        + PostgresBinaries.installed() + ", carried by forkrunner: " + PostgresBinaries.BUNDLED);
    }

    @Override
    public void initialize(Place place, Secret superuserPassword, Map<String, String> settings) {
        server(place).initialize(place.port(), superuserPassword, settings);
    }

    @Override
    public void start(Place place) {
        server(place).start();
    }

    @Override
    public void stop(Place place) {
        server(place).stop();
    }

    @Override
    public boolean running(Place place) {
        return server(place).isRunning();
    }

    PostgresServer server(Place place) {
        return new PostgresServer(engine.runner(), PostgresBinaries.of(place.version()), place.directory());
    }
}
