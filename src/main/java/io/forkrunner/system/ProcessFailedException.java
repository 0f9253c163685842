package io.forkrunner.system;

/** A child process ended badly: non-zero exit, timeout, or it could not start. The message carries its last output. */
public class ProcessFailedException extends ForkrunnerException {

    private final int exitCode;

    public ProcessFailedException(String message, int exitCode) {
        super(message);
        this.exitCode = exitCode;
    }

    /** The child's exit code, -1 when it did not end by itself. */
    public int processExitCode() {
        return exitCode;
    }
}
