package io.forkrunner.system;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongPredicate;

/** A server forkrunner started and finds again by its pid file, stopped by its own pid. */
public final class ServerProcess {

    private ServerProcess() {}

    /**
     * The pid in {@code pidFile} when that process lives and {@code isThisServer} accepts it (not a pid reused since by
     * another process); empty otherwise. The file is read without following a link.
     */
    public static OptionalLong running(Path pidFile, LongPredicate isThisServer) {
        String text = ServiceUser.readIfExists(pidFile).strip();
        if (!text.matches("[0-9]{1,10}")) {
            return OptionalLong.empty();
        }
        long pid = Long.parseLong(text);
        return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).isPresent() && isThisServer.test(pid)
                ? OptionalLong.of(pid)
                : OptionalLong.empty();
    }

    /** Waits {@code poll} between two looks at a server starting or stopping; {@code what} names it if interrupted. */
    public static void pause(Duration poll, String what) {
        try {
            Thread.sleep(poll.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ForkrunnerException("interrupted while waiting for " + what);
        }
    }

    /** The argv of process {@code pid}, from {@code /proc}; empty when it is gone. */
    public static List<String> commandLine(long pid) {
        try {
            String text = Files.readString(Path.of("/proc", String.valueOf(pid), "cmdline"), StandardCharsets.UTF_8);
            return text.isEmpty() ? List.of() : Arrays.asList(text.split("\0"));
        } catch (IOException e) {
            return List.of();
        }
    }

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

    /**
     * The last {@code count} lines of a server's log, read without following a link in its place; one line saying why
     * when it cannot be read.
     */
    public static List<String> lastLines(Path log, int count) {
        try {
            List<String> lines = ServiceUser.readIfExists(log).lines().toList();
            return lines.subList(Math.max(0, lines.size() - count), lines.size());
        } catch (UncheckedIOException e) {
            return List.of("(cannot read: " + e.getMessage() + ")");
        }
    }
}
