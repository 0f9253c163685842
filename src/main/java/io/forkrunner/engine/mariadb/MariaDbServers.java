package io.forkrunner.engine.mariadb;

import io.forkrunner.engine.MajorMinor;
import io.forkrunner.engine.Place;
import io.forkrunner.engine.Servers;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.Secret;
import io.forkrunner.system.ServiceUser;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * MariaDB servers of the version installed here. Each instance keeps the options forkrunner gives it (a fork's copied
 * configuration) in {@value #SETTINGS}, one {@code name=value} a line, so that every start applies them again. Its
 * server id is its port: unique on the host.
 */
final class MariaDbServers implements Servers {

    static final String SETTINGS = "settings.cnf";

    private final MariaDbEngine engine;

    MariaDbServers(MariaDbEngine engine) {
        this.engine = engine;
    }

    @Override
    public void makeDirectory(Path directory) {
        engine.runner().serviceUser().privateDirectory(directory);
    }

    @Override
    public Optional<String> cannotRun(int version) {
        MariaDbBinaries binaries;
        try {
            binaries = engine.binaries();
        } catch (ForkrunnerException e) {
            return Optional.of(e.getMessage());
        }
        int installed = MajorMinor.number(binaries.version(engine.runner()), "MariaDB");
        return installed == version
                ? Optional.empty()
                : Optional.of("MariaDB " + MajorMinor.text(version) + " is not installed here; installed: "
                        + MajorMinor.text(installed));
    }

    @Override
    public void initialize(Place place, Secret superuserPassword, Map<String, String> settings) {
        MariaDbServer server = engine.server(place);
        server.initialize(superuserPassword);
        writeSettings(place, settings);
        server.start(place.port(), place.port(), settings);
    }

    @Override
    public void start(Place place) {
        engine.server(place).start(place.port(), place.port(), settings(place));
    }

    @Override
    public void stop(Place place) {
        engine.server(place).stop();
    }

    @Override
    public boolean running(Place place) {
        return engine.server(place).isRunning();
    }

    /** The options kept for the instance at {@code place}. */
    Map<String, String> settings(Place place) {
        Map<String, String> settings = new LinkedHashMap<>();
        ServiceUser.readIfExists(place.directory().resolve(SETTINGS))
                .lines()
                .filter(line -> line.contains("="))
                .forEach(line ->
                        settings.put(line.substring(0, line.indexOf('=')), line.substring(line.indexOf('=') + 1)));
        return settings;
    }

    void writeSettings(Place place, Map<String, String> settings) {
        StringBuilder text = new StringBuilder();
        settings.forEach(
                (name, value) -> text.append(name).append('=').append(value).append('\n'));
        engine.runner().serviceUser().write(place.directory().resolve(SETTINGS), text.toString());
    }
}
