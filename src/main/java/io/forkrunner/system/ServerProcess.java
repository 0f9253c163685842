package io.forkrunner.system;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** A server forkrunner started and finds again by its pid file, stopped by its own pid. */
public final class ServerProcess {

    private ServerProcess() {}

    /**
     * Sends SIGTERM to {@code pid} and waits until it is gone, at most {@code timeout}; nothing when it is gone already.
     * {@code what} names it in failures ("the Redis server in DIR"), whose log is {@code log}.
     */
    public static void stop(long pid, Duration timeout, String what, Path log) {
        ProcessHandle process = ProcessHandle.of(pid).orElse(null);
        if (process == null) {
            return;
        }
        process.destroy();
        try {
            process.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new ForkrunnerException(
                    what + " (pid " + pid + ") did not stop within " + timeout + " of SIGTERM; see " + log);
        } catch (ExecutionException e) {
            throw new ForkrunnerException("cannot wait for " + what + " to stop", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ForkrunnerException("interrupted while stopping " + what);
        }
    }
}
