package io.forkrunner.engine;

import java.util.List;
import java.util.Map;

/** A server's configuration: read from a source when it is backed up, applied to its forks. */
public interface ServerSettings {

    /**
     * The source's non-default settings, less host-specific ones (port, addresses, paths, archiving, replication). Read
     * when a backup is taken and recorded with it: a fork run never connects to the source.
     */
    Map<String, String> read(Endpoint source);

    /**
     * Applies settings read by {@link #read} on the fork at {@code place}, whose administrator logs in as
     * {@code admin}, restarting it where they need that; returns the names its version does not know, which were left
     * out.
     */
    List<String> apply(Place place, Endpoint admin, Map<String, String> settings);

    /** Every setting the server knows, with its built-in default. */
    Map<String, String> defaults(Endpoint endpoint);

    /**
     * Settings every fork is held to whatever its source had, each with why: the run reports them. A job with
     * {@code events: on} lifts those of {@link #scheduledEvents()}.
     */
    default Map<String, String> heldOnForks() {
        return Map.of();
    }

    /** The settings that run the source's scheduled events on a fork whose job says {@code events: on}. */
    default Map<String, String> scheduledEvents() {
        return Map.of();
    }
}
