package io.forkrunner.engine;

import io.forkrunner.definition.ServiceDefinition;
import java.nio.file.Path;
import java.util.Set;

/**
 * What a data store must do for forkrunner. One adapter per engine; the steps and the backup keeper use this
 * interface, never JDBC or processes directly.
 */
public interface Engine {

    /** The name used in {@code config/services.yml}, e.g. {@code postgresql}. */
    String name();

    Set<Capability> capabilities();

    /**
     * Takes a base backup of the service into {@code directory} (which must not exist), verifies it, and describes
     * it. Output of the tools goes to {@code log}.
     */
    BaseBackup backup(ServiceDefinition service, Endpoint source, Path directory, Path log);

    /** The process that streams the service's changes into {@code archive}. */
    ArchiveStream archiveStream(ServiceDefinition service, Endpoint source, Path archive, Path log);

    /** The archive in {@code directory} as it is now. */
    Archive archive(Path directory);

    enum Capability {
        POINT_IN_TIME,
        CROSS_VERSION,
        POOLS
    }
}
