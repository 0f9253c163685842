package io.forkrunner.provision;

import io.forkrunner.engine.Place;
import java.nio.file.Path;
import java.time.Instant;

/** An instance a provisioner made: where it lives and listens. */
public record Instance(
        String name,
        String region,
        String engine,
        int version,
        String host,
        int port,
        Path directory,
        State state,
        Instant createdAt) {

    public enum State {
        /** Port and directory are reserved; nothing is there yet. */
        RESERVED,
        /** Created and meant to run. */
        RUNNING,
        /** Created and stopped on purpose. */
        STOPPED
    }

    /** Where the instance lives and listens, as its engine's servers take it. */
    public Place place() {
        return new Place(directory, port, version);
    }
}
