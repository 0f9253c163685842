package io.forkrunner.engine.cassandra;

import io.forkrunner.definition.ServiceDefinition;
import io.forkrunner.engine.Backups;
import io.forkrunner.engine.Engine;
import io.forkrunner.engine.Inspection;
import io.forkrunner.engine.PhysicalRestore;
import io.forkrunner.engine.ServerSettings;
import io.forkrunner.engine.Servers;
import io.forkrunner.engine.Users;
import io.forkrunner.system.ProcessRunner;
import io.forkrunner.system.Secrets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import org.springframework.stereotype.Component;

/**
 * Apache Cassandra: backups are snapshots of every node under one tag, copied from the nodes' data directories on this
 * host into forkrunner's backup store, with the schema and the roles; a fork is a new cluster of forkrunner's with as
 * many nodes, each holding the tokens of the source's node whose files it imports. Forkrunner talks to clusters over
 * CQL and to each node over JMX, and runs its own nodes from the Cassandra home {@code FORKRUNNER_CASSANDRA_HOME} names
 * (else {@code target/cassandra-5.0.9}, which {@code mvn -f src/cassandra/pom.xml package} assembles). No point in
 * time between backups, no pools. Its version is written as one number, major times 100 plus minor ({@code 500} for
 * 5.0).
 */
@Component
public class CassandraEngine implements Engine {

    private final Clock clock;
    private final Secrets secrets;
    private final ProcessRunner runner = new ProcessRunner(CassandraNode.serviceUser());
    private final CassandraBackups backups = new CassandraBackups(this);
    private final CassandraServers servers = new CassandraServers(this);
    private final CassandraInspection inspection = new CassandraInspection();
    private final CassandraRestore restore = new CassandraRestore(this);
    private final CassandraRoles roles = new CassandraRoles();
    private final CassandraSettings settings = new CassandraSettings(this);

    CassandraEngine(Clock clock, Secrets secrets) {
        this.clock = clock;
        this.secrets = secrets;
    }

    /** The login the JMX of {@code service}'s nodes asks for, its password read now; null when it asks none. */
    CassandraJmx.Login jmxLogin(ServiceDefinition service) {
        return service.jmx() == null
                ? null
                : new CassandraJmx.Login(
                        service.jmx().user(), secrets.resolve(service.jmx().password()));
    }

    @Override
    public String name() {
        return "cassandra";
    }

    @Override
    public String title() {
        return "Cassandra";
    }

    @Override
    public Backups backups() {
        return backups;
    }

    @Override
    public Servers servers() {
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
        return Optional.of(roles);
    }

    @Override
    public Optional<ServerSettings> settings() {
        return Optional.of(settings);
    }

    Clock clock() {
        return clock;
    }

    ProcessRunner runner() {
        return runner;
    }

    CassandraNode node(Path directory, CassandraNode.Settings settings) {
        return new CassandraNode(runner, CassandraNode.home(), directory, settings);
    }
}
