package io.forkrunner.run;

import io.forkrunner.system.ForkrunnerException;

/** A launch refused because a run of the same job is in progress and the job says {@code overlap: skip}. */
public class OverlapException extends ForkrunnerException {

    public OverlapException(String message) {
        super(message);
    }
}
