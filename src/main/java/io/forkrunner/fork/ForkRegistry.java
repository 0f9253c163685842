package io.forkrunner.fork;

import io.forkrunner.definition.JobDefinition;
import io.forkrunner.definition.LiveDefinitions;
import io.forkrunner.definition.Region;
import io.forkrunner.definition.ServiceDefinition;
import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.Engine;
import io.forkrunner.engine.Engines;
import io.forkrunner.engine.GeneratedLogin;
import io.forkrunner.engine.Place;
import io.forkrunner.engine.Pooling;
import io.forkrunner.engine.Pools;
import io.forkrunner.provision.Instance;
import io.forkrunner.provision.Provisioner;
import io.forkrunner.provision.aiven.AivenApi;
import io.forkrunner.system.BadInputException;
import io.forkrunner.system.DirectoryTree;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.Home;
import io.forkrunner.system.Problem;
import io.forkrunner.system.Secrets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/** The forks that exist, each a service forkrunner made; dropping one removes every trace of it. */
@Component
public class ForkRegistry {

    private static final Logger log = LoggerFactory.getLogger(ForkRegistry.class);

    private final ForkRecords records;
    private final Provisioner provisioner;
    private final Engines engines;
    private final LiveDefinitions definitions;
    private final Secrets secrets;
    private final Clock clock;
    private final Home home;
    private final AivenApi aiven;

    ForkRegistry(
            ForkRecords records,
            Provisioner provisioner,
            Engines engines,
            LiveDefinitions definitions,
            Secrets secrets,
            Clock clock,
            Home home,
            AivenApi aiven) {
        this.records = records;
        this.provisioner = provisioner;
        this.engines = engines;
        this.definitions = definitions;
        this.secrets = secrets;
        this.clock = clock;
        this.home = home;
        this.aiven = aiven;
    }

    void register(ForkRecord fork) {
        records.register(fork);
        log.info(
                "fork {} of {} registered: {}:{}{}{}",
                fork.name(),
                fork.source(),
                fork.host(),
                fork.port(),
                fork.database() == null ? "" : ", database " + fork.database() + " of " + fork.server(),
                fork.poolPort() == null ? "" : ", pools on " + fork.poolPort());
    }

    /** The forks that exist, oldest first: {@link ForkRecords#list()}. */
    public List<ForkRecord> list() {
        return records.list();
    }

    public Optional<ForkRecord> find(String name) {
        return records.find(name);
    }

    /**
     * Removes a fork: its pooler, its instance (server, directory, reservations) and its record; for a fork made in an
     * existing server, its database there (the roles it created stay: other databases may use them). Also removes an
     * instance whose run never registered it.
     */
    public void drop(String name) {
        Optional<ForkRecord> fork = find(name);
        Optional<Instance> instance = provisioner.find(name);
        if (fork.isEmpty() && instance.isEmpty()) {
            throw new BadInputException(new Problem(
                    "command line",
                    0,
                    "FORK",
                    name,
                    "is not a fork: forkrunner forks lists them",
                    list().stream().map(ForkRecord::name).toList()));
        }
        instance.ifPresent(provisioner::checkOwned);
        if (fork.isPresent() && fork.get().engine().equals(ServiceDefinition.AIVEN)) {
            // a service on Aiven: deleted through its API, refused when protected or not this run's
            Region region = definitions.current().region(fork.get().region());
            aiven.deleteFork(region, region.aiven().project(), name, fork.get().runId());
        }
        if (fork.isPresent() && fork.get().server() != null) {
            ServiceDefinition server = definitions
                    .current()
                    .service(fork.get().server())
                    .orElseThrow(() -> new ForkrunnerException("fork " + name + " is database "
                            + fork.get().database() + " of service "
                            + fork.get().server()
                            + ", which is no longer declared in config/services.yml: declare it again to drop it"));
            Engine engine = engines.of(server);
            engine.require(
                            engine.logicalCopy(),
                            "dropping database " + fork.get().database() + " of " + server.name())
                    .dropDatabase(Endpoint.of(server, secrets), fork.get().database());
        }
        DirectoryTree.deleteUnder(home.var(), workDirectory(home, name));
        instance.ifPresent(found -> {
            engines.named(found.engine()).pooling().ifPresent(pooling -> pooling.stop(found.place()));
            provisioner.drop(name);
        });
        records.remove(name);
        log.info("dropped fork {}", name);
    }

    /** Where a fork made in an existing server keeps its dump while loading, and the list of tables it loaded. */
    static Path workDirectory(Home home, String fork) {
        return home.var().resolve("work").resolve(fork);
    }

    /**
     * Starts a registered fork's server, when it is recorded as running and does not run (e.g. after the host
     * restarted), and its pools. The caller makes sure no live run holds the fork.
     */
    public void start(ForkRecord fork) {
        Optional<Instance> instance = provisioner.find(fork.name());
        if (instance.isEmpty()) {
            return; // a database in an existing server: that server is not forkrunner's to start
        }
        if (instance.get().state() == Instance.State.RUNNING && !provisioner.isRunning(fork.name())) {
            log.info("fork {} should run but does not: starting it", fork.name());
            provisioner.start(fork.name());
        }
        Optional<ServiceDefinition> source = definitions.current().service(fork.source());
        if (fork.poolPort() == null || source.isEmpty()) {
            return;
        }
        Place place = instance.get().place();
        Optional<Pooling> pooling = engines.named(fork.engine()).pooling();
        if (pooling.isPresent() && !pooling.get().running(place)) {
            log.info("the pools of fork {} do not run: starting them", fork.name());
            Endpoint login = Endpoint.of(source.get(), secrets);
            pooling.get()
                    .start(
                            place,
                            GeneratedLogin.of(
                                    login,
                                    fork.host(),
                                    fork.port(),
                                    instance.get().directory()),
                            new Pools(fork.poolPort(), source.get().pools()));
        }
    }

    /**
     * Drops this job's forks
     * beyond {@code retention.keep} (oldest first) and those older than {@code retention.ttl},
     * never {@code keeping}; returns their names.
     */
    List<String> applyRetention(JobDefinition job, String keeping) {
        List<ForkRecord> forks = records.ofJob(job.name());
        Instant now = clock.instant();
        List<String> dropped = new ArrayList<>();
        for (int index = 0; index < forks.size(); index++) {
            ForkRecord fork = forks.get(index);
            boolean beyondKeep =
                    job.retention().keep() != null && index >= job.retention().keep();
            boolean expired = job.retention().ttl() != null
                    && fork.createdAt().plus(job.retention().ttl()).isBefore(now);
            if (!fork.name().equals(keeping) && (beyondKeep || expired)) {
                try {
                    drop(fork.name());
                    dropped.add(fork.name());
                } catch (RuntimeException e) {
                    log.warn(
                            "fork {} of job {} is past its retention but cannot be dropped, the others are: {}",
                            fork.name(),
                            job.name(),
                            e.getMessage());
                }
            }
        }
        return dropped;
    }
}
