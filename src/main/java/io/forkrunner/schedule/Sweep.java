package io.forkrunner.schedule;

import io.forkrunner.definition.JobDefinition;
import io.forkrunner.definition.LiveDefinitions;
import io.forkrunner.fork.ForkRetention;
import io.forkrunner.notification.LongRunningCheck;
import io.forkrunner.notification.RunEndNotifications;
import io.forkrunner.run.Operator;
import io.forkrunner.run.RunLeases;
import org.quartz.DisallowConcurrentExecution;
import org.quartz.Job;
import org.quartz.JobExecutionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every few seconds, on one node of the cluster: scheduled runs whose node died (run lock free, lease expired) are
 * taken over and restarted from their checkpoint, as are runs noted to be resumed (a shutdown stopped them, or another process found their node dead); other dead runs are marked failed (and notified); forks older than their job's
 * {@code retention.ttl} are dropped; runs longer than their job's {@code long-running} threshold are notified.
 */
@DisallowConcurrentExecution
public class Sweep implements Job {

    private static final Logger log = LoggerFactory.getLogger(Sweep.class);

    private final Operator operator;
    private final Takeovers takeovers;
    private final ForkRetention retention;
    private final LiveDefinitions definitions;
    private final RunLeases leases;
    private final LongRunningCheck longRunning;
    private final RunEndNotifications endings;

    public Sweep(
            Operator operator,
            Takeovers takeovers,
            ForkRetention retention,
            LiveDefinitions definitions,
            RunLeases leases,
            LongRunningCheck longRunning,
            RunEndNotifications endings) {
        this.leases = leases;
        this.longRunning = longRunning;
        this.endings = endings;
        this.operator = operator;
        this.takeovers = takeovers;
        this.retention = retention;
        this.definitions = definitions;
    }

    @Override
    public void execute(JobExecutionContext context) {
        each("finding runs whose node died", () -> {
            for (long run : operator.deadRuns()) {
                each("taking over run " + run, () -> {
                    if (operator.scheduled(run)) {
                        takeovers.restart(run, "its node died");
                    }
                });
            }
        });
        each("marking dead runs failed", () -> operator.recoverDeadRuns().forEach(endings::processDied));
        each("checking long runs", longRunning::check);
        each(
                "resuming stopped runs",
                () -> leases.runsToResume()
                        .forEach((run, why) -> each("resuming run " + run, () -> takeovers.restart(run, why))));
        for (JobDefinition job : definitions.current().jobs().values()) {
            if (job.retention().ttl() != null) {
                each("applying the retention of job " + job.name(), () -> retention.apply(job, null));
            }
        }
    }

    /** One item of the pass: its failure is logged and the pass goes on with the next. */
    private static void each(String what, Runnable item) {
        try {
            item.run();
        } catch (RuntimeException e) {
            log.warn("sweep: {} failed, the rest of the pass goes on: {}", what, e.getMessage(), e);
        }
    }
}
