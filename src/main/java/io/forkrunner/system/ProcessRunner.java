package io.forkrunner.system;

import java.io.File;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
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
        ProcessBuilder builder =
                new ProcessBuilder(command.serviceUser() ? serviceUser.wrap(command.argv()) : command.argv());
        builder.environment().clear();
        builder.environment().putAll(BASE_ENVIRONMENT);
        builder.environment().putAll(command.environment());
        builder.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
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
        try {
            Process process = builder.start();
            log.debug("started {} (pid {}): {}", command.program(), process.pid(), command.argv());
            return new ChildProcess(command, process);
        } catch (IOException e) {
            throw new ProcessFailedException("cannot start " + command.program() + ": " + e.getMessage(), -1);
        }
    }
}
