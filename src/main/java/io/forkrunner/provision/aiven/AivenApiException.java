package io.forkrunner.provision.aiven;

import io.forkrunner.system.ForkrunnerException;

/** A call the Aiven API refused or failed, with its HTTP status (0 when no answer came) and the API's own message. */
public class AivenApiException extends ForkrunnerException {

    private final int status;

    AivenApiException(String message, int status) {
        super(message);
        this.status = status;
    }

    public int status() {
        return status;
    }

    /** Whether the API said the thing to create exists already (409 "already exists"). */
    public boolean alreadyExists() {
        return status == 409 && getMessage().contains("already exists");
    }

    public boolean notFound() {
        return status == 404;
    }
}
