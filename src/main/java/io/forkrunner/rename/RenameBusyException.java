package io.forkrunner.rename;

import io.forkrunner.system.ForkrunnerException;

/** A rename another live process is carrying out: it cannot be run or abandoned here meanwhile. */
public class RenameBusyException extends ForkrunnerException {

    public RenameBusyException(String message) {
        super(message);
    }
}
