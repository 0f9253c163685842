package io.forkrunner.cli;

import io.forkrunner.Forkrunner;
import io.forkrunner.definition.JobDefinition;
import io.forkrunner.fork.ForkJobs;
import io.forkrunner.fork.Jobs;
import io.forkrunner.notification.NotificationDispatcher;
import io.forkrunner.report.RunReports;
import io.forkrunner.report.RunText;
import io.forkrunner.report.RunView;
import io.forkrunner.run.Operator;
import io.forkrunner.system.BadInputException;
import io.forkrunner.system.Problem;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "run", description = "Launches one run of JOB and waits for it, unless detached.")
final class RunCommand implements Callable<Integer> {

    @ParentCommand
    Cli cli;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "JOB")
    String job;

    @Option(
            names = "--at",
            paramLabel = "latest|TIME|-DURATION",
            description = "the point in time, instead of the job's from")
    String at;

    @Option(names = "--detach", description = "start the run in the background and print its id")
    boolean detach;

    @Option(names = "--json", description = "print the finished run as one JSON document")
    boolean json;

    @Option(
            names = "--dry-run",
            description = "for a job forking a service on Aiven: print the API calls a run would make, making only"
                    + " the reads that decide them")
    boolean dryRun;

    @Option(names = "--trigger", hidden = true, description = "the run's trigger (used by --detach)")
    String trigger;

    @Override
    public Integer call() throws Exception {
        String runTrigger = trigger == null ? Operator.manualTrigger() : trigger;
        try (Forkrunner forkrunner = Forkrunner.boot(cli.home(), false)) {
            if (dryRun) {
                forkrunner.bean(Operator.class).checkAt(at);
                JobDefinition definition = forkrunner
                        .bean(Jobs.class)
                        .find(job)
                        .orElseThrow(() -> new BadInputException(new Problem(
                                "command line",
                                0,
                                "JOB",
                                job,
                                "is not a job in jobs/",
                                forkrunner.bean(Jobs.class).names())));
                forkrunner
                        .bean(ForkJobs.class)
                        .dryRun(definition, at)
                        .forEach(spec.commandLine().getOut()::println);
                return Cli.DONE;
            }
            if (detach) {
                forkrunner.bean(Operator.class).checkAt(at); // refused here, not in the background
                return detach(forkrunner, runTrigger);
            }
            Thread progress = Progress.start(
                    forkrunner, job, runTrigger, spec.commandLine().getErr());
            long run;
            try {
                run = forkrunner.bean(Operator.class).launch(job, at, runTrigger);
            } finally {
                Progress.stop(progress);
            }
            forkrunner.bean(NotificationDispatcher.class).deliverOnce(run);
            return Finished.print(
                    forkrunner.bean(RunReports.class).run(run),
                    json,
                    spec.commandLine().getOut());
        }
    }

    private int detach(Forkrunner forkrunner, String runTrigger) throws IOException, InterruptedException {
        Path log = cli.home().logs().resolve("runs").resolve(runTrigger.replace(':', '-') + ".log");
        Files.createDirectories(log.getParent());
        List<String> command = new ArrayList<>(javaCommand());
        command.addAll(List.of("--home", cli.home().root().toString(), "run", job, "--trigger", runTrigger));
        if (at != null) {
            command.addAll(List.of("--at", at));
        }
        new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
        Operator operator = forkrunner.bean(Operator.class);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            Optional<Long> run = operator.runOf(job, runTrigger);
            if (run.isPresent()) {
                PrintWriter out = spec.commandLine().getOut();
                if (json) {
                    out.println(Json.write(java.util.Map.of("run", run.get(), "log", log.toString())));
                } else {
                    out.printf("run %d of %s started in the background; log: %s%n", run.get(), job, log);
                }
                return Cli.DONE;
            }
            Thread.sleep(250);
        }
        spec.commandLine().getErr().println("the detached run did not start within a minute; see " + log);
        return Cli.FAILED;
    }

    /** How to start this same forkrunner again: the jar, or the classpath it runs from. */
    private static List<String> javaCommand() {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classpath = System.getProperty("java.class.path");
        if (classpath.endsWith(".jar") && !classpath.contains(File.pathSeparator)) {
            return List.of(java, "-jar", classpath);
        }
        return List.of(java, "-cp", classpath, Cli.class.getName());
    }

    /** The end of a run, printed; the exit code says whether it completed. */
    static final class Finished {

        private Finished() {}

        static int print(RunView view, boolean json, PrintWriter out) {
            if (json) {
                out.println(Json.write(view));
            } else {
                RunText.print(view, out);
            }
            out.flush();
            return "COMPLETED".equals(view.state()) ? Cli.DONE : Cli.FAILED;
        }
    }

    /** A progress line on a terminal while the run executes in this process. */
    static final class Progress {

        private Progress() {}

        static Thread start(Forkrunner forkrunner, String job, String trigger, PrintWriter err) {
            if (System.console() == null) {
                return null;
            }
            RunReports reports = forkrunner.bean(RunReports.class);
            Operator operator = forkrunner.bean(Operator.class);
            Thread thread = new Thread(
                    () -> {
                        while (!Thread.currentThread().isInterrupted()) {
                            try {
                                Optional<Long> run = operator.runOf(job, trigger);
                                if (run.isPresent()) {
                                    String line = RunText.progressLine(reports.run(run.get()));
                                    err.print("\r\033[K" + line);
                                    err.flush();
                                }
                                Thread.sleep(1000);
                            } catch (InterruptedException e) {
                                return;
                            } catch (RuntimeException e) {
                                // the next tick tries again
                            }
                        }
                    },
                    "progress");
            thread.setDaemon(true);
            thread.start();
            return thread;
        }

        static void stop(Thread thread) {
            if (thread != null) {
                thread.interrupt();
                System.console().writer().print("\r\033[K");
                System.console().flush();
            }
        }
    }
}
