package io.forkrunner.system;

/**
 * The one unchecked base of forkrunner's own failures. Each leaf says which exit code (and later
 * which HTTP status) it maps to; the message is written for an operator.
 */
public class ForkrunnerException extends RuntimeException {

    public ForkrunnerException(String message) {
        super(message);
    }

    public ForkrunnerException(String message, Throwable cause) {
        super(message, cause);
    }

    /** Exit code of the CLI: 1 the work failed, 2 bad input and nothing changed. */
    public int exitCode() {
        return 1;
    }
}
