package io.forkrunner.run;

import io.forkrunner.definition.JobDefinition;
import io.forkrunner.definition.LiveDefinitions;
import io.forkrunner.definition.PointInTime;
import io.forkrunner.fork.ForkJobs;
import io.forkrunner.fork.ForkPlan;
import io.forkrunner.fork.Jobs;
import io.forkrunner.system.AdvisoryLock;
import io.forkrunner.system.BadInputException;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.LockSessions;
import io.forkrunner.system.Problem;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
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
 * The one place where runs change state: launch, restart, stop, and recover runs whose process died. The CLI, the
 * schedules (and later the REST API) all call it.
 *
 * <p>A run is one job instance: its job plus its trigger (a scheduled fire time or the id of a manual launch); a
 * restart continues the same run. The process executing a run holds two locks in the metadata store, its job's (so
 * that a job never runs twice at once, whatever launched it: the job's {@code overlap} says whether a launch meanwhile
 * is skipped or queued) and its run's; and renews the run's lease. A run is dead only when its run lock is free and
 * its lease expired, so a live process's run is never marked failed by another, and two restarts of one run never both
 * execute.
 */
@Component
public class Operator {

    private static final Logger log = LoggerFactory.getLogger(Operator.class);
    private static final Duration STOP_WAIT = Duration.ofSeconds(120);
    private static final Duration QUEUE_POLL = Duration.ofSeconds(2);
    private static final String SCHEDULED = "schedule:";

    private final JobOperator jobOperator;
    private final JobRepository repository;
    private final ForkJobs forkJobs;
    private final LiveDefinitions definitions;
    private final Jobs jobs;
    private final LockSessions lockSessions;
    private final RunLeases leases;
    private final RunLiveness liveness;
    private final SkippedFires skippedFires;
    private final Clock clock;

    Operator(
            JobOperator jobOperator,
            JobRepository repository,
            ForkJobs forkJobs,
            LiveDefinitions definitions,
            Jobs jobs,
            LockSessions lockSessions,
            RunLeases leases,
            RunLiveness liveness,
            SkippedFires skippedFires,
            Clock clock) {
        this.jobOperator = jobOperator;
        this.repository = repository;
        this.forkJobs = forkJobs;
        this.definitions = definitions;
        this.jobs = jobs;
        this.lockSessions = lockSessions;
        this.leases = leases;
        this.liveness = liveness;
        this.skippedFires = skippedFires;
        this.clock = clock;
    }

    /** The trigger of a launch by hand: a fresh id, so that every manual launch is a run of its own. */
    public static String manualTrigger() {
        return "manual:" + UUID.randomUUID();
    }

    /** The trigger of a scheduled fire: its fire time, so that the same fire never runs twice. */
    public static String scheduledTrigger(Instant fireTime) {
        return SCHEDULED + fireTime;
    }

    /** Runs job {@code name} to its end in this thread and returns its run id. {@code at} overrides the job's from. */
    public long launch(String name, String at, String trigger) {
        JobDefinition job = requireJob(name);
        checkAt(at);
        JobParametersBuilder parameters = new JobParametersBuilder(identity(job.name(), trigger));
        if (at != null) {
            parameters.addString("at", at, false);
        }
        JobParameters identity = parameters.toJobParameters();
        JobInstance existing = repository.getJobInstance(job.name(), identity);
        if (existing != null && repository.getLastJobExecution(existing).getStatus() == BatchStatus.COMPLETED) {
            throw new ForkrunnerException(
                    "run " + trigger + " of " + job.name() + " completed already; it never runs twice");
        }
        try (AdvisoryLock jobLock = jobLock(job, trigger);
                AdvisoryLock runLock = runLock(job.name(), trigger)) {
            JobExecution execution =
                    leases.holding(List.of(jobLock, runLock), () -> jobOperator.start(forkJobs.job(job), identity));
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

    /**
     * Refuses, as bad input, an {@code --at} that is not a point in time, or one in the future: a fork is made of what
     * a backup holds, never of what has not happened yet. Null (the job's own from) passes.
     */
    public void checkAt(String at) {
        if (at == null) {
            return;
        }
        PointInTime point = PointInTime.parse(at)
                .orElseThrow(() -> new BadInputException(new Problem(
                        "command line",
                        0,
                        "--at",
                        at,
                        "is not latest, a time with a zone offset, or -DURATION",
                        PointInTime.EXAMPLES)));
        Instant now = clock.instant();
        Optional<Instant> moment = point.resolve(now);
        if (moment.isPresent() && moment.get().isAfter(now)) {
            throw new BadInputException(new Problem(
                    "command line",
                    0,
                    "--at",
                    at,
                    "is in the future (it is " + now + " now): a fork can only go back to a time that has passed",
                    PointInTime.EXAMPLES));
        }
    }

    /**
     * The job's lock: never two runs of one job at once. When another run holds it, {@code overlap: queue} waits for
     * it and {@code overlap: skip} refuses, recording a skipped fire for a scheduled trigger.
     */
    private AdvisoryLock jobLock(JobDefinition job, String trigger) {
        String key = "forkrunner.job." + job.name();
        Optional<AdvisoryLock> lock = lockSessions.tryAcquire(key, leases.lease());
        if (lock.isPresent()) {
            return lock.get();
        }
        if (job.schedule() != null && job.schedule().overlap() == JobDefinition.Overlap.QUEUE) {
            log.info("a run of {} is in progress: {} waits for it (overlap: queue)", job.name(), trigger);
            while (lock.isEmpty()) {
                sleep(QUEUE_POLL);
                lock = lockSessions.tryAcquire(key, leases.lease());
            }
            return lock.get();
        }
        String reason = "a run of " + job.name() + " is in progress (overlap: skip)";
        if (trigger.startsWith(SCHEDULED)) {
            skippedFires.record(job.name(), Instant.parse(trigger.substring(SCHEDULED.length())), reason);
        }
        throw new OverlapException(reason + "; this launch was skipped");
    }

    private AdvisoryLock runLock(String job, String trigger) {
        return lockSessions
                .tryAcquire(RunLiveness.runLockKey(job, trigger), leases.lease())
                .orElseThrow(() -> new ForkrunnerException(
                        "run " + trigger + " of " + job + " is executing or being restarted in another process"));
    }

    /** Resumes a failed or stopped run (or one whose process died) at the step where it stopped, in this thread. */
    public long restart(long runId) {
        JobInstance instance = requireRun(runId);
        JobExecution last = repository.getLastJobExecution(instance);
        String trigger = last.getJobParameters().getString("trigger");
        JobDefinition job = requireJob(instance.getJobName());
        List<AdvisoryLock> locks = new ArrayList<>();
        try {
            locks.add(lockSessions
                    .tryAcquire(RunLiveness.runLockKey(job.name(), trigger), leases.lease())
                    .orElseThrow(() -> new RunBusyException("run " + runId + " is executing or being restarted in"
                            + " another process; forkrunner status " + runId + " shows it")));
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
            locks.add(
                    0,
                    lockSessions
                            .tryAcquire("forkrunner.job." + job.name(), leases.lease())
                            .orElseThrow(() -> new RunBusyException("another run of " + job.name()
                                    + " is in progress: restart run " + runId + " after it")));
            log.info("restarting run {} of {}", runId, job.name());
            JobParameters parameters = last.getJobParameters();
            leases.holding(locks, () -> jobOperator.start(forkJobs.job(job), parameters));
            return runId;
        } catch (ForkrunnerException e) {
            throw e;
        } catch (Exception e) {
            throw new ForkrunnerException("cannot restart run " + runId + ": " + e.getMessage(), e);
        } finally {
            locks.forEach(AdvisoryLock::close);
        }
    }

    /**
     * Marks a run whose process died as FAILED. Refuses while its lease has not expired. Call with the run's lock held
     * (so that its process is known not to hold it).
     */
    private void recoverDead(long runId, JobExecution execution) {
        Optional<RunLiveness.Lease> lease = liveness.lease(runId);
        if (lease.isPresent() && !lease.get().expired()) {
            throw new ForkrunnerException(
                    "run " + runId + " was renewed by " + lease.get().node() + " until "
                            + lease.get().expiresAt() + "; if that process is gone, retry after then");
        }
        log.warn("run {} was left {} by a process that ended: marking it FAILED", runId, execution.getStatus());
        jobOperator.recover(execution);
        String trigger = execution.getJobParameters().getString("trigger");
        if (trigger != null && trigger.startsWith(SCHEDULED)) {
            leases.toResume(runId, "its node died"); // the cluster takes it over
        }
    }

    /** Stops a running run gracefully: it ends STOPPED, its child processes ended; waits until it has. */
    public BatchStatus stop(long runId) {
        JobExecution last = requestStop(runId);
        Instant deadline = clock.instant().plus(STOP_WAIT);
        while (clock.instant().isBefore(deadline)) {
            JobExecution now = repository.getJobExecution(last.getId());
            if (now.getEndTime() != null) {
                return now.getStatus();
            }
            sleep(Duration.ofMillis(500));
        }
        return repository.getJobExecution(last.getId()).getStatus();
    }

    /**
     * Asks a running run to stop and returns at once: the process running it stops its step. A run whose process died
     * is marked FAILED instead (once its lease expired).
     */
    public JobExecution requestStop(long runId) {
        JobInstance instance = requireRun(runId);
        JobExecution last = repository.getLastJobExecution(instance);
        if (!last.isRunning()) {
            throw new ForkrunnerException("run " + runId + " is " + last.getStatus() + ", not running");
        }
        String trigger = last.getJobParameters().getString("trigger");
        Optional<AdvisoryLock> free = lockSessions.tryAcquire(RunLiveness.runLockKey(instance.getJobName(), trigger));
        if (free.isPresent()) {
            // no process executes it: its runner died; nothing to interrupt
            try (AdvisoryLock ignored = free.get()) {
                recoverDead(runId, last);
                return repository.getLastJobExecution(instance);
            }
        }
        try {
            jobOperator.stop(last);
        } catch (Exception e) {
            throw new ForkrunnerException("cannot stop run " + runId + ": " + e.getMessage(), e);
        }
        return last;
    }

    /** The runs left running by a process that died: run lock free and lease expired. */
    public List<Long> deadRuns() {
        return liveness.deadRuns();
    }

    /**
     * The runs that live processes execute now, by the fork each makes (its plan names it), each with the process
     * holding it. A run whose process died is not among them.
     */
    public Map<String, LiveRun> liveRunsByFork() {
        Map<String, LiveRun> live = new HashMap<>();
        for (String job : jobs.names()) {
            for (JobExecution execution : repository.findRunningJobExecutions(job)) {
                Optional<ForkPlan> plan = ForkPlan.of(execution);
                if (plan.isPresent() && !liveness.dead(job, execution)) {
                    long runId = execution.getJobInstance().getInstanceId();
                    live.put(
                            plan.get().fork(),
                            new LiveRun(
                                    runId,
                                    liveness.lease(runId)
                                            .map(RunLiveness.Lease::node)
                                            .orElse("a process")));
                }
            }
        }
        return live;
    }

    /** The run a live process executes now that makes fork {@code fork}, if any. */
    public Optional<LiveRun> liveRunMaking(String fork) {
        return Optional.ofNullable(liveRunsByFork().get(fork));
    }

    /** A run executing now, and the process ({@code HOST:PID}) that holds it. */
    public record LiveRun(long run, String node) {}

    /** Refuses to let anything but its run touch a fork that a live run is making. */
    public void refuseIfMaking(String fork, String what) {
        liveRunMaking(fork).ifPresent(live -> {
            throw new RunBusyException(what + " " + fork + " is refused: run " + live.run() + " is making it, held by "
                    + live.node() + ". Wait for the run to end, or stop it first (forkrunner stop " + live.run()
                    + ")");
        });
    }

    /** The run of {@code job} with this trigger, if it was launched. */
    public Optional<Long> runOf(String job, String trigger) {
        return Optional.ofNullable(repository.getJobInstance(job, identity(job, trigger)))
                .map(JobInstance::getInstanceId);
    }

    /** What names a run: its job and its trigger (the point in time is a parameter, not part of the name). */
    private static JobParameters identity(String job, String trigger) {
        return new JobParametersBuilder()
                .addString("job", job)
                .addString("trigger", trigger)
                .toJobParameters();
    }

    /** The state of a run's last execution. */
    public BatchStatus state(long runId) {
        return repository.getLastJobExecution(requireRun(runId)).getStatus();
    }

    /** Whether a run was fired by a schedule (which a surviving node takes over when its node dies). */
    public boolean scheduled(long runId) {
        JobInstance instance = requireRun(runId);
        return isScheduled(
                repository.getLastJobExecution(instance).getJobParameters().getString("trigger"));
    }

    /** Whether a run's trigger is a schedule's fire. */
    public static boolean isScheduled(String trigger) {
        return trigger != null && trigger.startsWith(SCHEDULED);
    }

    /** Marks FAILED every run left running by a process that died; returns their ids. */
    public List<Long> recoverDeadRuns() {
        List<Long> recovered = new ArrayList<>();
        for (long runId : deadRuns()) {
            JobInstance instance = requireRun(runId);
            JobExecution last = repository.getLastJobExecution(instance);
            String trigger = last.getJobParameters().getString("trigger");
            Optional<AdvisoryLock> lock =
                    lockSessions.tryAcquire(RunLiveness.runLockKey(instance.getJobName(), trigger));
            if (lock.isPresent()) {
                try (AdvisoryLock ignored = lock.get()) {
                    if (repository.getLastJobExecution(instance).isRunning()) {
                        recoverDead(runId, last);
                        recovered.add(runId);
                    }
                }
            }
        }
        return recovered;
    }

    private JobDefinition requireJob(String name) {
        JobDefinition job = jobs.find(name).orElse(null);
        List<Problem> refused = definitions.current().refused().get(name);
        if (job == null && refused != null) {
            throw new BadInputException(refused);
        }
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

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ForkrunnerException("interrupted while waiting");
        }
    }
}
