package io.forkrunner.schedule;

import io.forkrunner.report.Metrics;
import io.forkrunner.run.Operator;
import io.forkrunner.run.OverlapException;
import io.forkrunner.system.ForkrunnerException;
import java.time.Duration;
import java.time.Instant;
import org.quartz.Job;
import org.quartz.JobExecutionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A job's schedule fired: launch its run, identified by the fire time, so that each fire runs once across the
 * cluster. Overlap is the operator's to decide (skip: recorded; queue: waits), as on every launch path.
 */
public class FireFork implements Job {

    private static final Logger log = LoggerFactory.getLogger(FireFork.class);

    private final Operator operator;
    private final Metrics metrics;

    public FireFork(Operator operator, Metrics metrics) {
        this.operator = operator;
        this.metrics = metrics;
    }

    @Override
    public void execute(JobExecutionContext context) {
        String job = context.getJobDetail().getKey().getName();
        Instant fireTime = context.getScheduledFireTime().toInstant();
        log.info("schedule of {} fired for {}", job, fireTime);
        metrics.lateness(job, Duration.between(fireTime, context.getFireTime().toInstant()));
        try {
            long run = operator.launch(job, null, Operator.scheduledTrigger(fireTime));
            log.info("run {} of {} for {} ended", run, job, fireTime);
        } catch (OverlapException e) {
            log.info("fire of {} at {} skipped: {}", job, fireTime, e.getMessage());
        } catch (ForkrunnerException e) {
            log.error("fire of {} at {} did not complete: {}", job, fireTime, e.getMessage());
        }
    }
}
