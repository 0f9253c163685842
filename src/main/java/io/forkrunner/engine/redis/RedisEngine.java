package io.forkrunner.engine.redis;

import io.forkrunner.engine.Backups;
import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.Engine;
import io.forkrunner.engine.Inspection;
import io.forkrunner.engine.PhysicalRestore;
import io.forkrunner.engine.Place;
import io.forkrunner.engine.ServerSettings;
import io.forkrunner.engine.Users;
import io.forkrunner.engine.WriteFence;
import io.forkrunner.system.Home;
import io.forkrunner.system.Passfile;
import io.forkrunner.system.ProcessRunner;
import io.forkrunner.system.Secret;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * Redis (Caching): backups are RDB snapshots fetched over the replication protocol (nothing is written on the source's
 * disk) with the source's ACL users beside them; a fork is a new server that loads one. No change archive, so no point
 * in time between backups; no pools. Servers run as the family's OS user ({@link RedisFamily}). Its version is written as one number,
 * major times 100 plus minor ({@code 700} for 7.0).
 */
@Component
public class RedisEngine implements Engine {

    private final RedisFamily family;
    private final ProcessRunner runner;
    private final Home home;
    private final Clock clock;
    private final RedisServers servers;
    private final RedisBackups backups;
    private final RedisInspection inspection;
    private final RedisSettings settings;
    private final RedisRestore restore;
    private final RedisUsers users;
    private final RedisWriteFence writeFence = new RedisWriteFence();

    @Autowired
    RedisEngine(Home home, Clock clock) {
        this(RedisFamily.REDIS, home, clock);
    }

    RedisEngine(RedisFamily family, Home home, Clock clock) {
        this.family = family;
        this.runner = new ProcessRunner(family.serviceUser());
        this.home = home;
        this.clock = clock;
        this.servers = new RedisServers(this);
        this.backups = new RedisBackups(this);
        this.inspection = new RedisInspection(this);
        this.settings = new RedisSettings(this);
        this.restore = new RedisRestore(this);
        this.users = new RedisUsers();
    }

    @Override
    public String name() {
        return family.engine();
    }

    @Override
    public String title() {
        return family.title();
    }

    @Override
    public Backups backups() {
        return backups;
    }

    @Override
    public RedisServers servers() {
        return servers;
    }

    @Override
    public Inspection inspection() {
        return inspection;
    }

    @Override
    public Optional<PhysicalRestore> physicalRestore() {
        return Optional.of(restore);
    }

    @Override
    public Optional<Users> users() {
        return Optional.of(users);
    }

    @Override
    public Optional<ServerSettings> settings() {
        return Optional.of(settings);
    }

    @Override
    public Optional<WriteFence> writeFence() {
        return Optional.of(writeFence);
    }

    RedisFamily family() {
        return family;
    }

    ProcessRunner runner() {
        return runner;
    }

    Clock clock() {
        return clock;
    }

    RedisServer server(Place place) {
        return new RedisServer(family, runner, place.directory());
    }

    /**
     * A 0600 file of the service user's holding {@code endpoint}'s password on one line and then {@code more}, for
     * {@code redis-cli --askpass}, which reads the password from stdin; close it after.
     */
    Passfile passwordInput(Endpoint endpoint, String more) {
        return Passfile.plain(
                home.run().resolve(family.engine()),
                runner.serviceUser(),
                new Secret(endpoint.password().reveal() + more));
    }

    /** redis-cli's arguments to reach {@code endpoint}, and to log in when it has a password (read from stdin). */
    List<String> cli(Endpoint endpoint) {
        List<String> argv = new ArrayList<>(List.of(
                family.program("cli"),
                "-h",
                endpoint.host(),
                "-p",
                String.valueOf(endpoint.port()),
                "--no-auth-warning"));
        if (endpoint.password() != null) {
            argv.addAll(List.of("--user", endpoint.user(), "--askpass"));
        }
        return argv;
    }

    /** The value of {@code name} in a reply of INFO ({@code name:value} lines); null when it has none. */
    static String info(String reply, String name) {
        return reply.lines()
                .filter(line -> line.startsWith(name + ":"))
                .map(line -> line.substring(name.length() + 1).strip())
                .findFirst()
                .orElse(null);
    }
}
