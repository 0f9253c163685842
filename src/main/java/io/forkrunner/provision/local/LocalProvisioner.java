package io.forkrunner.provision.local;

import io.forkrunner.definition.LiveDefinitions;
import io.forkrunner.definition.Region;
import io.forkrunner.engine.Engines;
import io.forkrunner.engine.Servers;
import io.forkrunner.provision.Instance;
import io.forkrunner.provision.InstanceSpec;
import io.forkrunner.provision.NoFreePortException;
import io.forkrunner.provision.Provisioner;
import io.forkrunner.system.DirectoryTree;
import io.forkrunner.system.ForkrunnerException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Instances on this host: a data directory under the region's root, a port from its range, run as the service user;
 * their servers made, started and stopped by their engine.
 */
@Component
class LocalProvisioner implements Provisioner {

    private static final Logger log = LoggerFactory.getLogger(LocalProvisioner.class);
    static final String HOST = "127.0.0.1";

    private final JdbcClient jdbc;
    private final TransactionTemplate transactions;
    private final Clock clock;
    private final LiveDefinitions definitions;
    private final Engines engines;

    LocalProvisioner(
            JdbcClient jdbc,
            TransactionTemplate transactions,
            Clock clock,
            LiveDefinitions definitions,
            Engines engines) {
        this.jdbc = jdbc;
        this.engines = engines;
        this.definitions = definitions;
        this.transactions = transactions;
        this.clock = clock;
    }

    @Override
    public Instance create(InstanceSpec spec) {
        Instance instance = reserve(spec);
        try {
            Servers servers = servers(instance);
            servers.initialize(instance.place(), spec.superuserPassword(), spec.settings());
            servers.start(instance.place());
            setState(instance.name(), Instance.State.RUNNING);
            log.info(
                    "created instance {} in region {} on port {}", instance.name(), instance.region(), instance.port());
            return find(instance.name()).orElseThrow();
        } catch (RuntimeException e) {
            drop(instance.name());
            throw e;
        }
    }

    @Override
    public Instance reserve(InstanceSpec spec) {
        Region region = spec.region();
        Path directory = region.root().resolve(spec.name());
        Instance instance = transactions.execute(status -> {
            jdbc.sql("select pg_advisory_xact_lock(hashtext(:key))")
                    .param("key", "forkrunner.ports." + HOST)
                    .query()
                    .singleValue();
            if (find(spec.name()).isPresent()) {
                throw new ForkrunnerException("an instance named " + spec.name() + " exists already");
            }
            if (Files.exists(directory)) {
                throw new ForkrunnerException(
                        "directory " + directory + " exists but belongs to no instance forkrunner "
                                + "knows; move it away or choose another name");
            }
            int port = freePort(region);
            Timestamp now = Timestamp.from(clock.instant());
            jdbc.sql("insert into port_reservations (host, port, region, owner, purpose, reserved_at)"
                            + " values (:host, :port, :region, :owner, 'server', :now)")
                    .param("host", HOST)
                    .param("port", port)
                    .param("region", region.name())
                    .param("owner", spec.name())
                    .param("now", now)
                    .update();
            jdbc.sql("insert into instances (name, region, engine, version, host, port, directory, state, created_at)"
                            + " values (:name, :region, :engine, :version, :host, :port, :directory, :state, :now)")
                    .param("name", spec.name())
                    .param("engine", spec.engine())
                    .param("region", region.name())
                    .param("version", spec.version())
                    .param("host", HOST)
                    .param("port", port)
                    .param("directory", directory.toString())
                    .param("state", Instance.State.RESERVED.name())
                    .param("now", now)
                    .update();
            return find(spec.name()).orElseThrow();
        });
        try {
            engines.named(spec.engine()).servers().makeDirectory(directory);
        } catch (RuntimeException e) {
            drop(spec.name());
            throw e;
        }
        return instance;
    }

    @Override
    public int reservePort(String owner, Region region, String purpose) {
        return transactions.execute(status -> {
            jdbc.sql("select pg_advisory_xact_lock(hashtext(:key))")
                    .param("key", "forkrunner.ports." + HOST)
                    .query()
                    .singleValue();
            Optional<Integer> reserved = portOf(owner, purpose);
            if (reserved.isPresent()) {
                return reserved.get();
            }
            int port = freePort(region);
            jdbc.sql("insert into port_reservations (host, port, region, owner, purpose, reserved_at)"
                            + " values (:host, :port, :region, :owner, :purpose, :now)")
                    .param("host", HOST)
                    .param("port", port)
                    .param("region", region.name())
                    .param("owner", owner)
                    .param("purpose", purpose)
                    .param("now", Timestamp.from(clock.instant()))
                    .update();
            return port;
        });
    }

    @Override
    public Optional<Integer> portOf(String owner, String purpose) {
        return jdbc.sql("select port from port_reservations where owner = :owner and purpose = :purpose")
                .param("owner", owner)
                .param("purpose", purpose)
                .query(Integer.class)
                .optional();
    }

    private int freePort(Region region) {
        List<Integer> reserved = jdbc.sql("select port from port_reservations where host = :host")
                .param("host", HOST)
                .query(Integer.class)
                .list();
        for (int port = region.ports().first(); port <= region.ports().last(); port++) {
            if (!reserved.contains(port) && bindable(port)) {
                return port;
            }
        }
        throw new NoFreePortException(region);
    }

    private static boolean bindable(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getByName(HOST))) {
            return socket.getLocalPort() == port;
        } catch (IOException inUse) {
            return false;
        }
    }

    @Override
    public void start(String name) {
        Instance instance = require(name);
        Servers servers = servers(instance);
        if (!servers.running(instance.place())) {
            servers.start(instance.place());
        }
        setState(name, Instance.State.RUNNING);
    }

    @Override
    public void stop(String name) {
        Instance instance = require(name);
        servers(instance).stop(instance.place());
        setState(name, Instance.State.STOPPED);
    }

    @Override
    public void drop(String name) {
        Optional<Instance> found = find(name);
        if (found.isEmpty()) {
            return;
        }
        Instance instance = found.get();
        Path root = checkOwned(instance);
        if (Files.exists(instance.directory(), LinkOption.NOFOLLOW_LINKS)) {
            servers(instance).stop(instance.place());
            DirectoryTree.deleteUnder(root, instance.directory());
        }
        transactions.executeWithoutResult(status -> {
            jdbc.sql("delete from port_reservations where owner = :name")
                    .param("name", name)
                    .update();
            jdbc.sql("delete from instances where name = :name")
                    .param("name", name)
                    .update();
        });
        log.info("dropped instance {} (port {}, {})", name, instance.port(), instance.directory());
    }

    /**
     * The root of the instance's region, where its recorded directory must lie; refused, naming both, when it does not
     * (a record forkrunner did not write) or when its region is no longer declared.
     */
    @Override
    public Path checkOwned(Instance instance) {
        Region region = definitions.current().regions().get(instance.region());
        if (region == null) {
            throw new ForkrunnerException("instance " + instance.name() + " is in region " + instance.region()
                    + ", which is no longer declared in config/services.yml: declare it again to drop the instance;"
                    + " nothing was deleted");
        }
        if (!DirectoryTree.liesUnder(region.root(), instance.directory())) {
            throw new ForkrunnerException("instance " + instance.name() + " is recorded at " + instance.directory()
                    + ", which does not lie under " + region.root() + ", the root of its region " + region.name()
                    + ": forkrunner did not make it there and deletes nothing of it; correct the record in the"
                    + " metadata store's instances table");
        }
        return region.root();
    }

    @Override
    public Optional<Instance> find(String name) {
        return jdbc.sql("select * from instances where name = :name")
                .param("name", name)
                .query(LocalProvisioner::instance)
                .optional();
    }

    @Override
    public List<Instance> list() {
        return jdbc.sql("select * from instances order by name")
                .query(LocalProvisioner::instance)
                .list();
    }

    @Override
    public boolean isRunning(String name) {
        Instance instance = require(name);
        return servers(instance).running(instance.place());
    }

    private Instance require(String name) {
        return find(name).orElseThrow(() -> new ForkrunnerException("there is no instance named " + name));
    }

    private Servers servers(Instance instance) {
        return engines.named(instance.engine()).servers();
    }

    private void setState(String name, Instance.State state) {
        jdbc.sql("update instances set state = :state where name = :name")
                .param("state", state.name())
                .param("name", name)
                .update();
    }

    private static Instance instance(java.sql.ResultSet row, int index) throws java.sql.SQLException {
        return new Instance(
                row.getString("name"),
                row.getString("region"),
                row.getString("engine"),
                row.getInt("version"),
                row.getString("host"),
                row.getInt("port"),
                Path.of(row.getString("directory")),
                Instance.State.valueOf(row.getString("state")),
                row.getTimestamp("created_at").toInstant());
    }
}
