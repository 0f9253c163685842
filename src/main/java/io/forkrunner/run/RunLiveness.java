package io.forkrunner.run;

import io.forkrunner.fork.Jobs;
import io.forkrunner.system.AdvisoryLock;
import io.forkrunner.system.LockSessions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * Whether a process still executes a run: it holds the run's lock in the metadata store, or its lease has not expired.
 * A running run that has neither was left by a process that died. Reads only (the lock is taken and let go at once),
 * so a command that only reads can tell whether such a run exists.
 */
@Component
public class RunLiveness {

    private final JobRepository repository;
    private final Jobs jobs;
    private final LockSessions locks;
    private final JdbcClient jdbc;

    RunLiveness(JobRepository repository, Jobs jobs, LockSessions locks, JdbcClient jdbc) {
        this.repository = repository;
        this.jobs = jobs;
        this.locks = locks;
        this.jdbc = jdbc;
    }

    /** The lease of a run: which process holds it, until when, and whether that time has passed (the store's clock). */
    record Lease(String node, Instant expiresAt, boolean expired) {}

    /** The runs left running by a process that died: run lock free and lease expired. */
    public List<Long> deadRuns() {
        List<Long> dead = new ArrayList<>();
        for (String job : jobs.names()) {
            for (JobExecution execution : repository.findRunningJobExecutions(job)) {
                if (dead(job, execution)) {
                    dead.add(execution.getJobInstance().getInstanceId());
                }
            }
        }
        return dead;
    }

    boolean dead(String job, JobExecution execution) {
        String trigger = execution.getJobParameters().getString("trigger");
        Optional<AdvisoryLock> lock = locks.tryAcquire(runLockKey(job, trigger));
        if (lock.isEmpty()) {
            return false;
        }
        try (AdvisoryLock held = lock.get()) {
            // read again with the lock held: a run that ended after it was found running let its lock go only once
            // its end was recorded, and it is not dead but over
            JobExecution now = repository.getJobExecution(execution.getId());
            if (now == null || !now.isRunning()) {
                return false;
            }
        }
        Optional<Lease> lease = lease(execution.getJobInstance().getInstanceId());
        return lease.isEmpty() || lease.get().expired();
    }

    Optional<Lease> lease(long runId) {
        return jdbc.sql("select node, expires_at, expires_at < now() from run_leases where run_id = :run")
                .param("run", runId)
                .query((row, index) ->
                        new Lease(row.getString(1), row.getTimestamp(2).toInstant(), row.getBoolean(3)))
                .optional();
    }

    /** The lock a process executing a run holds: one per run (its job and trigger). */
    static String runLockKey(String job, String trigger) {
        return "forkrunner.run." + job + "." + trigger;
    }
}
