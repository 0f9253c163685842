package io.forkrunner.engine;

import java.nio.file.Path;
import java.util.List;

/** Connection pools in front of a fork, the source's pools copied; and a pooler's pools pointed at a renamed fork. */
public interface Pooling {

    /** Starts (or restarts) a pooler in front of the fork with these pools; it authenticates against the fork's roles. */
    void start(Place place, Endpoint admin, Pools pools);

    void stop(Place place);

    boolean running(Place place);

    /**
     * Points the pools of the pooler configured by {@code poolerConfig} that lead to {@code from} at {@code to}, and
     * makes the pooler take it up without dropping its clients; returns the names of the pools pointed.
     */
    List<String> repoint(Path poolerConfig, Endpoint from, Endpoint to);

    /** The names of the pools of the pooler configured by {@code poolerConfig} that lead to {@code endpoint}. */
    List<String> leadingTo(Path poolerConfig, Endpoint endpoint);
}
