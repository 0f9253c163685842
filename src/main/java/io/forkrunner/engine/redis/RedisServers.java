package io.forkrunner.engine.redis;

import io.forkrunner.engine.MajorMinor;
import io.forkrunner.engine.Place;
import io.forkrunner.engine.Servers;
import io.forkrunner.system.Command;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.ProcessFailedException;
import io.forkrunner.system.Secret;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/** Servers of the Redis family of the version installed here ({@code redis-server} or {@code valkey-server}). */
final class RedisServers implements Servers {

    private final RedisEngine engine;
    private volatile Integer installed;

    RedisServers(RedisEngine engine) {
        this.engine = engine;
    }

    @Override
    public void makeDirectory(Path directory) {
        engine.runner().serviceUser().privateDirectory(directory);
    }

    @Override
    public Optional<String> cannotRun(int version) {
        int here;
        try {
            here = installedVersion();
        } catch (ForkrunnerException e) {
            return Optional.of(e.getMessage());
        }
        return here == version
                ? Optional.empty()
                : Optional.of(engine.family().title() + " " + MajorMinor.text(version)
                        + " is not installed here; installed: " + MajorMinor.text(here));
    }

    /** The version of the server here, asked once. */
    int installedVersion() {
        Integer found = installed;
        if (found == null) {
            RedisFamily family = engine.family();
            String server = family.program("server");
            String text;
            try {
                text = engine.runner().run(Command.of(server, "--version").withTimeout(Duration.ofMinutes(1)));
            } catch (ProcessFailedException e) {
                throw new ForkrunnerException(server + " is not installed here (apt-get install "
                        + family.debianPackage() + "): " + e.getMessage());
            }
            int at = text.indexOf("v=");
            if (at < 0) {
                throw new ForkrunnerException("cannot tell the version of " + server + " from: " + text.strip());
            }
            found = MajorMinor.number(text.substring(at + 2), family.title());
            installed = found;
        }
        return found;
    }

    /** An empty server whose default user has {@code superuserPassword}, or none. */
    @Override
    public void initialize(Place place, Secret superuserPassword, Map<String, String> settings) {
        RedisServer server = engine.server(place);
        server.initialize(
                superuserPassword == null
                        ? "on nopass ~* &* +@all"
                        : "on #" + RedisUsers.hash(superuserPassword.reveal()) + " ~* &* +@all");
        server.writeSettings(settings);
        server.start(place.port());
    }

    @Override
    public void start(Place place) {
        engine.server(place).start(place.port());
    }

    @Override
    public void stop(Place place) {
        engine.server(place).stop();
    }

    @Override
    public boolean running(Place place) {
        return engine.server(place).isRunning();
    }
}
