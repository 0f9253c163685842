package io.forkrunner.engine;

import io.forkrunner.definition.ServiceDefinition;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A continuous archive of a service's changes, streamed from it while {@code serve} runs: with the base backups it
 * makes the point-in-time window a fork can be restored to.
 */
public interface ChangeArchive {

    /** The process that streams the service's changes into {@code archive}. */
    ArchiveStream stream(ServiceDefinition service, Endpoint source, Path archive, Path log);

    /** The archive in {@code directory} as it is now. */
    Archive read(Path directory);

    /**
     * The name of the replication slot {@link #stream} keeps on the source for {@code service}; empty for an engine
     * whose stream keeps none.
     */
    Optional<String> slotName(String service);

    /** The replication slot named {@code slot} on the source; empty when there is none. */
    Optional<ReplicationSlot> slot(Endpoint source, String slot);

    /**
     * Drops the replication slot named {@code slot} on the source, first ending the connection that streams from it;
     * nothing when there is no such slot.
     */
    void dropSlot(Endpoint source, String slot);
}
