package io.forkrunner.engine.opensearch;

import io.forkrunner.engine.Backups;
import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.Engine;
import io.forkrunner.engine.Inspection;
import io.forkrunner.engine.MajorMinor;
import io.forkrunner.engine.PhysicalRestore;
import io.forkrunner.engine.Place;
import io.forkrunner.engine.SecurityConfiguration;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.Home;
import io.forkrunner.system.ProcessRunner;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import java.util.stream.Stream;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * OpenSearch: backups are snapshots (every index and the global state) into an {@code fs} repository of forkrunner's,
 * {@code var/backups/SERVICE/repository}, which the source cluster's {@code path.repo} must include; a fork is a new
 * cluster of forkrunner's, of as many nodes as its source's data nodes or more, that restores one from that
 * repository, registered read-only. Forkrunner talks to
 * clusters over their HTTP API only, and runs its own nodes from the OpenSearch home {@code FORKRUNNER_OPENSEARCH_HOME}
 * names (else {@code target/opensearch-2.19.6}, which {@code mvn -f src/opensearch/pom.xml package} assembles). No
 * point in time between snapshots, no pools, no users (the security plugin does not run here). Its version is written
 * as one number, major times 100 plus minor ({@code 219} for 2.19).
 */
@Component
public class OpenSearchEngine implements Engine {

    /** The name of forkrunner's repository in the clusters it snapshots and restores. */
    static final String REPOSITORY = "forkrunner";

    private final SearchFamily family;
    private final Home home;
    private final Clock clock;
    private final ProcessRunner runner = new ProcessRunner(OpenSearchNode.serviceUser());
    private final OpenSearchBackups backups;
    private final OpenSearchServers servers;
    private final OpenSearchInspection inspection;
    private final OpenSearchRestore restore;
    private final OpenSearchSecurity security;

    @Autowired
    OpenSearchEngine(Home home, Clock clock) {
        this(SearchFamily.OPENSEARCH, home, clock);
    }

    OpenSearchEngine(SearchFamily family, Home home, Clock clock) {
        this.family = family;
        this.home = home;
        this.clock = clock;
        this.backups = new OpenSearchBackups(this);
        this.servers = new OpenSearchServers(this);
        this.inspection = new OpenSearchInspection(family.title());
        this.restore = new OpenSearchRestore(this);
        this.security = new OpenSearchSecurity(this);
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
    public OpenSearchServers servers() {
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
    public Optional<SecurityConfiguration> securityConfiguration() {
        return Optional.of(security);
    }

    OpenSearchSecurity security() {
        return security;
    }

    Home home() {
        return home;
    }

    Clock clock() {
        return clock;
    }

    ProcessRunner runner() {
        return runner;
    }

    SearchFamily family() {
        return family;
    }

    /** The version of the family's home, from its server's jar, as one number. */
    int installedVersion() {
        Path lib = family.home().resolve("lib");
        try (Stream<Path> jars = Files.list(lib)) {
            return jars.map(jar -> jar.getFileName().toString())
                    .filter(name -> name.matches(family.serverJarPattern()))
                    .map(name ->
                            MajorMinor.number(name.substring(family.engine().length() + 1), family.title()))
                    .findFirst()
                    .orElseThrow(() -> new ForkrunnerException("no " + family.title() + " server jar in " + lib));
        } catch (java.io.IOException e) {
            throw new ForkrunnerException("no " + family.title() + " home in " + family.home() + " (" + e.getMessage()
                    + "): assemble one with " + family.assembly());
        }
    }

    /** A node of this engine's family in {@code directory}. */
    OpenSearchNode node(Path directory) {
        return new OpenSearchNode(family, runner, directory);
    }

    /** The cluster of forkrunner's at {@code place}: a fork's, of one node or more. */
    OpenSearchCluster cluster(Place place) {
        return new OpenSearchCluster(family, runner, place.directory());
    }

    /** The snapshot repository of the service whose backup is in {@code backup} ({@code base/ID} beside it). */
    static Path repositoryOf(Path backup) {
        return backup.toAbsolutePath().normalize().getParent().getParent().resolve("repository");
    }

    /** The snapshot a backup is: its directory's name, in the lower case snapshot names must have. */
    static String snapshotOf(Path backup) {
        return backup.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * The cluster at {@code endpoint}: over HTTP, as forkrunner's own nodes answer; over HTTPS as its user, verified,
     * when the endpoint names a certificate authority (a fork on Aiven).
     */
    static OpenSearchClient client(Endpoint endpoint) {
        return endpoint.certificateAuthority() == null
                ? new OpenSearchClient(URI.create("http://" + endpoint.host() + ":" + endpoint.port()))
                : OpenSearchClient.overTls(endpoint);
    }
}
