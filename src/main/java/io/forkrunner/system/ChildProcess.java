package io.forkrunner.system;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;

/** A started child process: wait for it, or end it and every process it started. */
public final class ChildProcess {

    private static final Duration GRACE = Duration.ofSeconds(10);
    private static final int TAIL_LINES = 15;
    private static final int ERROR_LINES = 5;
    private static final int LOG_BYTES = 64 * 1024;
    /** How the servers forkrunner runs mark an error line: MariaDB's "[ERROR]", PostgreSQL's "FATAL:", tools' "error:". */
    private static final Pattern ERROR_MARKS = Pattern.compile("\\[ERROR]|\\b(ERROR|FATAL|PANIC):|\\berror:");

    private final Command command;
    private final Process process;
    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    private final List<Thread> readers;

    ChildProcess(Command command, Process process) {
        this.command = command;
        this.process = process;
        this.readers = command.log() == null
                ? List.of(drain(process.getInputStream(), stdout), drain(process.getErrorStream(), stderr))
                : List.of();
    }

    private static Thread drain(InputStream in, ByteArrayOutputStream into) {
        Thread reader = new Thread(() -> {
            try (in) {
                in.transferTo(into);
            } catch (IOException ignored) {
                // the stream closes when the process ends
            }
        });
        reader.setDaemon(true);
        reader.start();
        return reader;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public Command command() {
        return command;
    }

    /**
     * Waits for the child to end by itself within its timeout and returns its captured stdout (empty when it logs to a
     * file). Ends the child and throws when it fails, times out, or this thread is interrupted.
     */
    public String await() {
        try {
            if (command.timeout().isZero()) {
                process.waitFor();
            } else if (!process.waitFor(command.timeout().toMillis(), TimeUnit.MILLISECONDS)) {
                end();
                throw new ProcessFailedException(
                        command.program() + " did not finish within " + command.timeout() + "; it was ended." + tail(),
                        -1);
            }
        } catch (InterruptedException e) {
            end();
            Thread.currentThread().interrupt();
            throw new ProcessFailedException(command.program() + " was cancelled", -1);
        }
        joinReaders();
        int exit = process.exitValue();
        if (exit != 0) {
            throw new ProcessFailedException(command.program() + " exited with code " + exit + "." + tail(), exit);
        }
        return stdout.toString(StandardCharsets.UTF_8);
    }

    /** Waits until the child ends, however it ends, and returns its exit code. */
    public int awaitExit() throws InterruptedException {
        int exit = process.waitFor();
        joinReaders();
        return exit;
    }

    /** What the child wrote to stdout so far; all of it once {@link #awaitExit()} returned. Empty when it logs to a file. */
    public String stdout() {
        return stdout.toString(StandardCharsets.UTF_8);
    }

    /** What the child wrote to stderr so far; all of it once {@link #awaitExit()} returned. Empty when it logs to a file. */
    public String stderr() {
        return stderr.toString(StandardCharsets.UTF_8);
    }

    /**
     * Ends the child and all its descendants: SIGTERM, then SIGKILL after a grace period. A {@code runuser} in front of
     * the service user's program is left to end by itself once the program has: signalled while the program still
     * runs, it waits two seconds before it ends.
     */
    public void end() {
        List<ProcessHandle> tree = process.descendants().toList();
        tree.forEach(ProcessHandle::destroy);
        boolean interrupted = false;
        try {
            if (tree.isEmpty() || !isRunuser() || !process.waitFor(GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroy();
            }
            if (!process.waitFor(GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            interrupted = true;
        }
        // the tree as it was (orphans leave it) and as it is now (a child may have started another process meanwhile)
        List<ProcessHandle> now = process.descendants().toList();
        tree.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
        now.forEach(ProcessHandle::destroyForcibly);
        awaitGone(process.toHandle());
        tree.forEach(ChildProcess::awaitGone);
        now.forEach(ChildProcess::awaitGone);
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private boolean isRunuser() {
        return process.info()
                .command()
                .map(command -> command.endsWith("/runuser"))
                .orElse(false);
    }

    /** Waits, a grace period at most, until a process ended by force is gone: ended means gone, not signalled. */
    private static void awaitGone(ProcessHandle process) {
        try {
            process.onExit().get(GRACE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            // a process SIGKILL does not end within the grace period is stuck in the kernel: nothing more to do
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void joinReaders() {
        for (Thread reader : readers) {
            try {
                reader.join(GRACE.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * The last lines the child wrote, to explain a failure, after the lines above them that report an error (a
     * program such as {@code mariadb-install-db} ends with many lines of advice that push the cause out of the tail).
     */
    String tail() {
        String text;
        if (command.log() != null) {
            text = readTail(command.log());
        } else {
            text = stderr.toString(StandardCharsets.UTF_8);
        }
        List<String> lines = text.lines().filter(line -> !line.isBlank()).toList();
        int tailFrom = Math.max(0, lines.size() - TAIL_LINES);
        List<String> errors = lines.subList(0, tailFrom).stream()
                .filter(ChildProcess::reportsAnError)
                .limit(ERROR_LINES)
                .toList();
        List<String> last = lines.subList(tailFrom, lines.size());
        String where = command.log() == null ? "" : " (log: " + command.log() + ")";
        String earlier = errors.isEmpty() ? "" : " Errors reported earlier:\n  " + String.join("\n  ", errors) + "\n";
        return last.isEmpty() ? where : earlier + " Last output" + where + ":\n  " + String.join("\n  ", last);
    }

    private static boolean reportsAnError(String line) {
        return ERROR_MARKS.matcher(line).find();
    }

    private static String readTail(Path log) {
        try {
            if (!Files.exists(log)) {
                return "";
            }
            byte[] bytes = Files.readAllBytes(log);
            int from = Math.max(0, bytes.length - LOG_BYTES);
            return new String(bytes, from, bytes.length - from, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
