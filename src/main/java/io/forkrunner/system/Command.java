package io.forkrunner.system;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A child process to run: an argv list (never a shell line), the few environment variables it gets on top of a clean
 * environment, a timeout, and where its output goes.
 *
 * @param argv program and arguments
 * @param environment variables added to the clean base environment; never a secret (name a passfile instead)
 * @param timeout how long it may run; {@link Duration#ZERO} for no limit
 * @param log file that stdout and stderr are appended to; null to capture stdout for the caller
 * @param serviceUser run as the unprivileged service user (see {@link ServiceUser})
 * @param input file its stdin reads, e.g. a 0600 {@link Passfile} for a client that reads its password there; null for
 *     none ({@code /dev/null})
 */
public record Command(
        List<String> argv,
        Map<String, String> environment,
        Duration timeout,
        Path log,
        boolean serviceUser,
        Path input) {

    public Command {
        argv = List.copyOf(argv);
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("a command needs a program");
        }
        environment = Map.copyOf(environment);
        Objects.requireNonNull(timeout, "timeout");
    }

    public static Command of(List<String> argv) {
        return new Command(argv, Map.of(), Duration.ZERO, null, false, null);
    }

    public static Command of(String... argv) {
        return of(List.of(argv));
    }

    public Command withEnvironment(String name, String value) {
        Map<String, String> more = new LinkedHashMap<>(environment);
        more.put(name, value);
        return new Command(argv, more, timeout, log, serviceUser, input);
    }

    public Command withPassfile(Passfile passfile) {
        return passfile == null
                ? this
                : withEnvironment("PGPASSFILE", passfile.path().toString());
    }

    public Command withTimeout(Duration limit) {
        return new Command(argv, environment, limit, log, serviceUser, input);
    }

    public Command loggingTo(Path file) {
        return new Command(argv, environment, timeout, file, serviceUser, input);
    }

    public Command asServiceUser() {
        return new Command(argv, environment, timeout, log, true, input);
    }

    /** Its stdin reads {@code file}. */
    public Command readingFrom(Path file) {
        return new Command(argv, environment, timeout, log, serviceUser, file);
    }

    /** The program's file name, for messages. */
    public String program() {
        return Path.of(argv.get(0)).getFileName().toString();
    }
}
