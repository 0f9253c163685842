package io.forkrunner.provision;

import io.forkrunner.definition.Region;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Where instances run: reserves a port and a place in a region, creates, starts, stops and drops instances, and tells
 * where they listen. Reservations live in the metadata store, so that two processes never take the same port or
 * directory, and instances are found again after forkrunner restarts.
 */
public interface Provisioner {

    /** Reserves a port and a directory for {@code spec}, creates the instance there and starts it. */
    Instance create(InstanceSpec spec);

    /** Reserves a port and a directory without creating anything in it; {@link #drop} releases them. */
    Instance reserve(InstanceSpec spec);

    /**
     * Reserves one more port in the region for {@code owner} (an instance), e.g. for its pools; the same port again
     * when one is reserved for that purpose already. {@link #drop} releases it with the instance.
     */
    int reservePort(String owner, Region region, String purpose);

    /** The port reserved for {@code owner} and {@code purpose}, if any. */
    Optional<Integer> portOf(String owner, String purpose);

    void start(String name);

    void stop(String name);

    /**
     * Stops the instance and removes every trace of it: processes, directory, reservations, records; refused as
     * {@link #checkOwned} refuses, with nothing deleted.
     */
    void drop(String name);

    /**
     * The directory the instance's recorded place must lie under; refused (with a message naming both) when the
     * record points elsewhere, so that nothing forkrunner did not make is ever stopped or deleted.
     */
    Path checkOwned(Instance instance);

    Optional<Instance> find(String name);

    List<Instance> list();

    /** Whether the instance's server process runs now. */
    boolean isRunning(String name);
}
