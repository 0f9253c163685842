package io.forkrunner.engine;

import io.forkrunner.system.ForkrunnerException;
import java.time.Duration;

/** Making a service refuse writes for the moment of a rename, and allowing them again. */
public interface WriteFence {

    /**
     * Makes the service refuse writes from now on, then waits up to {@code wait} for the transactions begun before to
     * end; returns its position after the last of them. When they do not end in time, writes are allowed again and
     * the call fails.
     */
    String refuse(Endpoint endpoint, Duration wait, Progress progress);

    /** Undoes {@link #refuse}. */
    void allow(Endpoint endpoint);

    /** Undoes {@link #refuse} after a failure, which stays the one reported: a failure to undo it is dropped. */
    default void allowAfterFailure(Endpoint endpoint) {
        try {
            allow(endpoint);
        } catch (ForkrunnerException ignored) {
            // the first failure is the one reported
        }
    }
}
