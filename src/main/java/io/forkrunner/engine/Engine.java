package io.forkrunner.engine;

import io.forkrunner.system.ForkrunnerException;
import java.util.Optional;

/**
 * What a data store offers forkrunner, cut by capability: each facet an engine has or not (not, unless it says so). One adapter per engine; the
 * steps, the backup keeper and the provisioner use these facets, never JDBC, processes or an engine's classes directly.
 * A step that needs a facet the engine lacks reports "not applicable to ENGINE" instead of failing.
 */
public interface Engine {

    /** The name used in {@code config/services.yml}, e.g. {@code postgresql}. */
    String name();

    /** The name people know the server by, for messages, e.g. {@code PostgreSQL}. */
    String title();

    /** Base backups: every engine forks from one. */
    Backups backups();

    /** Its servers on this host. */
    Servers servers();

    /** Looking into a running server. */
    Inspection inspection();

    /** A continuous change archive for point-in-time forks. */
    default Optional<ChangeArchive> changeArchive() {
        return Optional.empty();
    }

    /** Restoring a backup's files and replaying changes over them. */
    Optional<PhysicalRestore> physicalRestore();

    /** Dump and load: across major versions, into an existing server. */
    default Optional<LogicalCopy> logicalCopy() {
        return Optional.empty();
    }

    default Optional<Users> users() {
        return Optional.empty();
    }

    default Optional<Pooling> pooling() {
        return Optional.empty();
    }

    default Optional<ServerSettings> settings() {
        return Optional.empty();
    }

    /** Refusing writes for a rename. */
    default Optional<WriteFence> writeFence() {
        return Optional.empty();
    }

    /** A security configuration kept as files beside the data (a search service's security plugin's). */
    default Optional<SecurityConfiguration> securityConfiguration() {
        return Optional.empty();
    }

    /** What a step reports where this engine lacks the facet it would use. */
    default String notApplicable() {
        return "not applicable to " + name();
    }

    /**
     * The facet a piece of work cannot do without; refused, naming the work and the engine, when this engine lacks it.
     */
    default <F> F require(Optional<F> facet, String work) {
        return facet.orElseThrow(() -> new ForkrunnerException(work + " is not possible for " + title() + " (" + name()
                + "): forkrunner cannot do it for this engine"));
    }
}
