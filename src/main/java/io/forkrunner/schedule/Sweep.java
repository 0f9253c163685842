package io.forkrunner.schedule;

import io.forkrunner.definition.JobDefinition;
import io.forkrunner.definition.LiveDefinitions;
import io.forkrunner.fork.ForkRetention;
import io.forkrunner.notification.LongRunningCheck;
import io.forkrunner.notification.RunEndNotifications;
import io.forkrunner.run.Operator;
import io.forkrunner.run.RunLeases;
import io.forkrunner.system.ForkrunnerException;
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
        try {
            for (long run : operator.deadRuns()) {
                if (operator.scheduled(run)) {
                    takeovers.restart(run, "its node died");
                }
            }
            operator.recoverDeadRuns().forEach(endings::processDied);
            longRunning.check();
            leases.runsToResume().forEach(takeovers::restart);
            for (JobDefinition job : definitions.current().jobs().values()) {
                if (job.retention().ttl() != null) {
                    retention.apply(job, null);
                }
            }
        } catch (ForkrunnerException e) {
            log.warn("sweep: {}", e.getMessage());
        }
    }
}
