package io.forkrunner.run;

import io.forkrunner.system.ForkrunnerException;

/** A restart that cannot begin yet: the run or its job is held by a process, or its lease has not expired. */
public class RunBusyException extends ForkrunnerException {

    public RunBusyException(String message) {
        super(message);
    }
}
