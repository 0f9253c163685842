package io.forkrunner.run;

import io.forkrunner.system.ForkrunnerException;

/**
 * A restart that cannot begin yet: the run or its job is held by a process, its lease has not expired, or this process
 * is shutting down.
 */
public class RunBusyException extends ForkrunnerException {

    public RunBusyException(String message) {
        super(message);
    }
}
