package io.forkrunner.testing;

/** What one forkrunner command line printed and how it exited. */
public record CliResult(int exitCode, String out, String err) {

    @Override
    public String toString() {
        return "exit " + exitCode + "\n--- stdout\n" + out + "\n--- stderr\n" + err;
    }
}
