package io.forkrunner.demo;

import io.forkrunner.Forkrunner;
import io.forkrunner.fork.ForkRecord;
import io.forkrunner.report.RunReports;
import io.forkrunner.report.RunText;
import io.forkrunner.report.RunView;
import io.forkrunner.run.Operator;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.Home;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A demo whose source is a server of its own that it starts itself, in its home (Redis, OpenSearch, Cassandra): its service and
 * job, where it prints, and the metadata section it shares with the home it runs from.
 */
abstract class OwnSourceDemo {

    final Home home;
    final String service;
    final String job;
    final PrintWriter out;
    final String metadata;

    OwnSourceDemo(Home home, String service, String job, PrintWriter out, String metadata) {
        this.home = home;
        this.service = service;
        this.job = job;
        this.out = out;
        this.metadata = metadata;
    }

    /** Runs the demo; returns the finished run. */
    abstract RunView run() throws Exception;

    /** Runs the demo's job now, which forks the newest snapshot, prints its report, and refuses it unless it completed. */
    RunView forkNewestSnapshot(Forkrunner forkrunner) {
        long runId = forkrunner.bean(Operator.class).launch(job, null, Operator.manualTrigger());
        RunView run = forkrunner.bean(RunReports.class).run(runId);
        out.printf("4. fork run %d of job %s:%n", runId, job);
        RunText.print(run, out);
        if (!"COMPLETED".equals(run.state())) {
            throw new ForkrunnerException("the demo's fork run ended " + run.state() + ": " + run.error());
        }
        return run;
    }

    /** Prints where the fork listens, how to {@code connect} to it, and what else to try. */
    void printWhere(ForkRecord fork, RunView run, String connect) {
        out.printf("   fork %s listens on 127.0.0.1:%d%n", fork.name(), fork.port());
        out.printf("   connect: %s%n", connect);
        out.printf(
                "   more: ./forkrunner --home %s forks | status %d | drop %s%n", home.root(), run.run(), fork.name());
        out.flush();
    }

    /** Writes {@code text} into the file {@code relative} of the demo's home. */
    void write(String relative, String text) throws IOException {
        Path file = home.resolve(relative);
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }
}
