package io.forkrunner.run;

import io.forkrunner.definition.JobDefinition;
import io.forkrunner.definition.LiveDefinitions;
import io.forkrunner.definition.PointInTime;
import io.forkrunner.fork.ForkJobs;
import io.forkrunner.system.AdvisoryLock;
import io.forkrunner.system.BadInputException;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.Problem;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.JobInstance;
import org.springframework.batch.core.job.parameters.JobParameters;
import org.springframework.batch.core.job.parameters.JobParametersBuilder;
import org.springframework.batch.core.launch.JobInstanceAlreadyCompleteException;
import org.springframework.batch.core.launch.JobOperator;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.stereotype.Component;

/**
 * The one place where runs change state: launch, restart, stop, and recover runs whose process died. The CLI, the REST
 * API and the schedules all call it.
 *
 * <p>A run is one job instance: its job plus its trigger (a scheduled fire time or the id of a manual launch); a
 * restart continues the same run. The process executing a run holds its lock (an advisory lock in the metadata store)
 * and renews its lease; a run is dead only when its lock is free and its lease expired, so a live process's run is
 * never marked failed by another, and two restarts of one run never both execute.
 */
@Component
public class Operator {

    private static final Logger log = LoggerFactory.getLogger(Operator.class);
    private static final Duration STOP_WAIT = Duration.ofSeconds(120);

    private final JobOperator jobOperator;
    private final JobRepository repository;
    private final ForkJobs forkJobs;
    private final LiveDefinitions definitions;
    private final DataSource dataSource;
    private final RunLeases leases;
    private final Clock clock;

    Operator(
            JobOperator jobOperator,
            JobRepository repository,
            ForkJobs forkJobs,
            LiveDefinitions definitions,
            DataSource dataSource,
            RunLeases leases,
            Clock clock) {
        this.jobOperator = jobOperator;
        this.repository = repository;
        this.forkJobs = forkJobs;
        this.definitions = definitions;
        this.dataSource = dataSource;
        this.leases = leases;
        this.clock = clock;
    }

    /** The trigger of a launch by hand: a fresh id, so that every manual launch is a run of its own. */
    public static String manualTrigger() {
        return "manual:" + UUID.randomUUID();
    }

    /** Runs job {@code name} to its end in this thread and returns its run id. {@code at} overrides the job's from. */
    public long launch(String name, String at, String trigger) {
        JobDefinition job = requireJob(name);
        if (at != null && PointInTime.parse(at).isEmpty()) {
            throw new BadInputException(new Problem(
                    "command line",
                    0,
                    "--at",
                    at,
                    "is not latest, a time with a zone offset, or -DURATION",
                    PointInTime.EXAMPLES));
        }
        JobParametersBuilder parameters =
                new JobParametersBuilder().addString("job", job.name()).addString("trigger", trigger);
        if (at != null) {
            parameters.addString("at", at, false);
        }
        JobParameters identity = parameters.toJobParameters();
        try (AdvisoryLock ignored = AdvisoryLock.tryAcquire(dataSource, lockKey(job.name(), trigger))
                .orElseThrow(() -> new ForkrunnerException(
                        "run " + trigger + " of " + job.name() + " is executing in another process"))) {
            JobExecution execution = jobOperator.start(forkJobs.job(job), identity);
            return execution.getJobInstance().getInstanceId();
        } catch (JobInstanceAlreadyCompleteException e) {
            throw new ForkrunnerException(
                    "run " + trigger + " of " + job.name() + " completed already; it never runs twice");
        } catch (ForkrunnerException e) {
            throw e;
        } catch (Exception e) {
            throw new ForkrunnerException("cannot launch " + job.name() + ": " + e.getMessage(), e);
        }
    }

    /** Resumes a failed or stopped run (or one whose process died) at the step where it stopped, in this thread. */
    public long restart(long runId) {
        JobInstance instance = requireRun(runId);
        JobExecution last = repository.getLastJobExecution(instance);
        String trigger = last.getJobParameters().getString("trigger");
        try (AdvisoryLock ignored = AdvisoryLock.tryAcquire(dataSource, lockKey(instance.getJobName(), trigger))
                .orElseThrow(() -> new ForkrunnerException("run " + runId + " is executing or being restarted in"
                        + " another process; forkrunner status " + runId + " shows it"))) {
            last = repository.getLastJobExecution(instance);
            if (last.getStatus() == BatchStatus.COMPLETED) {
                throw new ForkrunnerException("run " + runId + " is complete: there is nothing to restart");
            }
            if (last.isRunning()) {
                recoverDead(runId, last);
                last = repository.getLastJobExecution(instance);
            }
            if (last.getStatus() != BatchStatus.FAILED && last.getStatus() != BatchStatus.STOPPED) {
                throw new ForkrunnerException(
                        "run " + runId + " is " + last.getStatus() + "; only a FAILED or STOPPED run restarts");
            }
            log.info("restarting run {} of {}", runId, instance.getJobName());
            jobOperator.start(forkJobs.job(requireJob(instance.getJobName())), last.getJobParameters());
            return runId;
        } catch (ForkrunnerException e) {
            throw e;
        } catch (Exception e) {
            throw new ForkrunnerException("cannot restart run " + runId + ": " + e.getMessage(), e);
        }
    }

    /**
     * Marks a run whose process died as FAILED. Refuses while the run's lock is held (its process lives) or its lease
     * has not expired. Call with the run's lock held.
     */
    private void recoverDead(long runId, JobExecution execution) {
        Optional<RunLeases.Lease> lease = leases.lease(runId);
        Instant now = clock.instant();
        if (lease.isPresent() && lease.get().expiresAt().isAfter(now)) {
            throw new ForkrunnerException(
                    "run " + runId + " was renewed by " + lease.get().node() + " until "
                            + lease.get().expiresAt() + "; if that process is gone, retry after then");
        }
        log.warn("run {} was left {} by a process that ended: marking it FAILED", runId, execution.getStatus());
        jobOperator.recover(execution);
    }

    /** Stops a running run gracefully: it ends STOPPED, its child processes ended; waits until it has. */
    public BatchStatus stop(long runId) {
        JobInstance instance = requireRun(runId);
        JobExecution last = repository.getLastJobExecution(instance);
        if (!last.isRunning()) {
            throw new ForkrunnerException("run " + runId + " is " + last.getStatus() + ", not running");
        }
        String trigger = last.getJobParameters().getString("trigger");
        Optional<AdvisoryLock> free = AdvisoryLock.tryAcquire(dataSource, lockKey(instance.getJobName(), trigger));
        if (free.isPresent()) {
            // no process executes it: its runner died; nothing to interrupt
            try (AdvisoryLock ignored = free.get()) {
                recoverDead(runId, last);
                return repository.getLastJobExecution(instance).getStatus();
            }
        }
        try {
            jobOperator.stop(last);
        } catch (Exception e) {
            throw new ForkrunnerException("cannot stop run " + runId + ": " + e.getMessage(), e);
        }
        Instant deadline = clock.instant().plus(STOP_WAIT);
        while (clock.instant().isBefore(deadline)) {
            JobExecution now = repository.getJobExecution(last.getId());
            if (now.getEndTime() != null) {
                return now.getStatus();
            }
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return repository.getJobExecution(last.getId()).getStatus();
    }

    /** Marks FAILED every run left running by a process that died (lock free, lease expired); returns their ids. */
    public List<Long> recoverDeadRuns() {
        return definitions.current().jobs().keySet().stream()
                .flatMap(job -> repository.findRunningJobExecutions(job).stream())
                .filter(this::recoverIfDead)
                .map(execution -> execution.getJobInstance().getInstanceId())
                .toList();
    }

    private boolean recoverIfDead(JobExecution execution) {
        String trigger = execution.getJobParameters().getString("trigger");
        long runId = execution.getJobInstance().getInstanceId();
        Optional<AdvisoryLock> lock = AdvisoryLock.tryAcquire(
                dataSource, lockKey(execution.getJobInstance().getJobName(), trigger));
        if (lock.isEmpty()) {
            return false;
        }
        try (AdvisoryLock ignored = lock.get()) {
            Optional<RunLeases.Lease> lease = leases.lease(runId);
            if (lease.isPresent() && lease.get().expiresAt().isAfter(clock.instant())) {
                return false;
            }
            recoverDead(runId, execution);
            return true;
        }
    }

    private JobDefinition requireJob(String name) {
        JobDefinition job = definitions.current().jobs().get(name);
        if (job == null) {
            throw new BadInputException(new Problem(
                    "command line",
                    0,
                    "JOB",
                    name,
                    "is not a job in jobs/",
                    definitions.current().jobs().keySet().stream().sorted().toList()));
        }
        return job;
    }

    private JobInstance requireRun(long runId) {
        JobInstance instance = repository.getJobInstance(runId);
        if (instance == null) {
            throw new NoSuchRunException(runId);
        }

        return instance;
    }

    private static String lockKey(String job, String trigger) {
        return "forkrunner.run." + job + "." + trigger;
    }
}
