package io.forkrunner.cli;

import io.forkrunner.Forkrunner;
import io.forkrunner.schedule.Schedules;
import io.forkrunner.system.BadInputException;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.Home;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code ./forkrunner [--home DIR] COMMAND}. Exit codes: 0 done, 1 the work failed, 2 bad input (nothing changed). */
@Command(
        name = "forkrunner",
        mixinStandardHelpOptions = true,
        version = "forkrunner 0.1.0",
        description = "Forks of database services, restored from their backups, as restartable batch jobs.",
        subcommands = {
            ValidateCommand.class, BackupCommand.class, BackupsCommand.class, RunCommand.class, RestartCommand.class,
            StopCommand.class, StatusCommand.class, ForksCommand.class, DropCommand.class, ServeCommand.class,
            DemoCommand.class, SchedulesCommand.class, RenameCommand.class
        })
public final class Cli {

    static final int DONE = 0;
    static final int FAILED = 1;
    static final int BAD_INPUT = 2;

    @Option(names = "--home", paramLabel = "DIR", description = "the home: a folder with config/, jobs/ and var/")
    Path home;

    @Spec
    CommandSpec spec;

    Home home() {
        if (home != null) {
            return new Home(home);
        }
        String fromEnvironment = System.getenv("FORKRUNNER_HOME");
        return new Home(Path.of(fromEnvironment == null || fromEnvironment.isBlank() ? "." : fromEnvironment));
    }

    @Command(name = "pause", description = "Pauses the schedule of JOB across the cluster.")
    int pause(@Parameters(paramLabel = "JOB") String job) {
        return setSchedule(job, true);
    }

    @Command(name = "resume", description = "Resumes the schedule of JOB across the cluster.")
    int resume(@Parameters(paramLabel = "JOB") String job) {
        return setSchedule(job, false);
    }

    private int setSchedule(String job, boolean paused) {
        try (Forkrunner forkrunner = Forkrunner.boot(home(), false)) {
            Schedules schedules = forkrunner.bean(Schedules.class);
            if (paused) {
                schedules.pause(job);
            } else {
                schedules.resume(job);
            }
            spec.commandLine().getOut().printf("schedule of %s: %s%n", job, paused ? "paused" : "resumed");
            return DONE;
        }
    }

    /** Forkrunner's entry point: one command line, its exit code the process's. */
    public static void main(String[] args) {
        System.exit(execute(args, System.out, System.err));
    }

    /** Runs one command line; returns its exit code. */
    public static int execute(String[] args, PrintStream out, PrintStream err) {
        CommandLine commandLine = new CommandLine(new Cli());
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        commandLine.setExecutionExceptionHandler((exception, line, parsed) -> {
            ForkrunnerException known = known(exception);
            PrintWriter errors = line.getErr();
            if (known instanceof BadInputException bad) {
                errors.println(bad.getMessage());
                errors.println(bad.problems().size() + (bad.problems().size() == 1 ? " problem" : " problems")
                        + "; nothing was changed.");
                errors.flush();
                return bad.exitCode();
            }
            if (known != null) {
                errors.println(known.getMessage());
                errors.flush();
                return known.exitCode();
            }
            Throwable root = exception;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            errors.println("forkrunner failed: " + root);
            errors.flush();
            return FAILED;
        });
        int exit = commandLine.execute(args);
        commandLine.getOut().flush();
        commandLine.getErr().flush();
        return exit;
    }

    /** The forkrunner exception behind {@code exception}, which Spring may have wrapped. */
    private static ForkrunnerException known(Throwable exception) {
        for (Throwable cause = exception; cause != null; cause = cause.getCause()) {
            if (cause instanceof ForkrunnerException forkrunner) {
                return forkrunner;
            }
        }
        return null;
    }
}
