package io.forkrunner.system;

import java.io.File;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts child processes from argv lists, never through a shell, with a clean environment: only {@code PATH},
 * {@code LANG}, {@code TZ} and what the command adds. Secrets reach children through passfiles only.
 */
public final class ProcessRunner {

    private static final Logger log = LoggerFactory.getLogger(ProcessRunner.class);
    private static final Map<String, String> BASE_ENVIRONMENT = Map.of(
            "PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG", "C.UTF-8", "TZ", "UTC");

    private final ServiceUser serviceUser;

    public ProcessRunner(ServiceUser serviceUser) {
        this.serviceUser = serviceUser;
    }

    public ServiceUser serviceUser() {
        return serviceUser;
    }

    /** Runs the command to its end; returns its stdout when it does not log to a file. */
    public String run(Command command) {
        return start(command).await();
    }

    public ChildProcess start(Command command) {
        ProcessBuilder builder = builder(command);
        try {
            Process process = builder.start();
            log.debug("started {} (pid {}): {}", command.program(), process.pid(), command.argv());
            return new ChildProcess(command, process);
        } catch (IOException e) {
            throw new ProcessFailedException("cannot start " + command.program() + ": " + e.getMessage(), -1);
        }
    }

    /**
     * Runs {@code from} with its stdout piped into the stdin of {@code into}, both to their ends, without a shell;
     * returns what {@code into} wrote to stdout when it does not log to a file. {@code from}'s log takes its stderr only.
     * When either fails, the other is ended and the failure names the one that failed, with its last output.
     */
    public String pipe(Command from, Command into) {
        ProcessBuilder producer = builder(from);
        if (from.log() != null) {
            producer.redirectErrorStream(false);
            producer.redirectOutput(ProcessBuilder.Redirect.PIPE);
            producer.redirectError(ProcessBuilder.Redirect.appendTo(from.log().toFile()));
        }
        ProcessBuilder consumer = builder(into);
        consumer.redirectInput(ProcessBuilder.Redirect.PIPE);
        List<Process> processes;
        try {
            processes = ProcessBuilder.startPipeline(List.of(producer, consumer));
        } catch (IOException e) {
            throw new ProcessFailedException(
                    "cannot start " + from.program() + " | " + into.program() + ": " + e.getMessage(), -1);
        }
        log.debug("started {} | {}: {} | {}", from.program(), into.program(), from.argv(), into.argv());
        ChildProcess first = new ChildProcess(from, processes.get(0));
        ChildProcess second = new ChildProcess(into, processes.get(1));
        String output;
        try {
            output = second.await();
        } catch (RuntimeException e) {
            first.end();
            throw e;
        }
        first.await();
        return output;
    }

    /** A builder for {@code command}: the clean environment, stdin from its input or /dev/null, output to its log or captured. */
    private ProcessBuilder builder(Command command) {
        ProcessBuilder builder =
                new ProcessBuilder(command.serviceUser() ? serviceUser.wrap(command.argv()) : command.argv());
        builder.environment().clear();
        builder.environment().putAll(BASE_ENVIRONMENT);
        builder.environment().putAll(command.environment());
        builder.redirectInput(ProcessBuilder.Redirect.from(
                command.input() == null
                        ? new File("/dev/null")
                        : command.input().toFile()));
        if (command.log() != null) {
            try {
                Files.createDirectories(command.log().getParent());
                if (Files.isSymbolicLink(
                        command.log())) { // planted where the service user writes: never written through
                    Files.delete(command.log());
                }
                try {
                    Files.createFile(command.log()); // never through a link
                } catch (FileAlreadyExistsException appended) {
                    // an earlier command's log, added to
                }
            } catch (IOException e) {
                throw new ProcessFailedException("cannot create the log " + command.log() + ": " + e, -1);
            }
            builder.redirectErrorStream(true);
            builder.redirectOutput(
                    ProcessBuilder.Redirect.appendTo(command.log().toFile()));
        }
        return builder;
    }
}
