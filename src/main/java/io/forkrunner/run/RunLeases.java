package io.forkrunner.run;

import io.forkrunner.definition.LiveDefinitions;
import io.forkrunner.fork.StopReasons;
import io.forkrunner.system.AdvisoryLock;
import io.forkrunner.system.Node;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.ExitStatus;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.launch.JobOperator;
import org.springframework.batch.core.listener.JobExecutionListener;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.context.SmartLifecycle;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * The leases of the runs this process executes. While a run executes, its lease is renewed and the sessions of its
 * locks kept alive every few seconds; a run whose lease expired and whose locks are free belongs to a process that
 * died, or that was paused so long that the metadata store ended its sessions. A process that finds its lease taken
 * or its locks lost is fenced: it interrupts the run's thread at once, which ends the step and its children. The
 * renewal also watches for a stop asked by another process. On shutdown (SIGTERM) every run of this process is
 * stopped, waited for, and noted so that the next {@code serve} resumes it.
 */
@Component
public class RunLeases implements JobExecutionListener, SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(RunLeases.class);
    private static final Duration SHUTDOWN_WAIT = Duration.ofSeconds(90);
    private static final Duration RENEW_AT_MOST_EVERY = Duration.ofSeconds(2);

    private final JdbcClient jdbc;
    private final JobRepository repository;
    private final JobOperator jobOperator;
    private final Duration lease;
    private final Clock clock;
    private final StopReasons stopReasons;
    private final String node;
    private final ThreadLocal<List<AdvisoryLock>> locksOfThisThread = ThreadLocal.withInitial(List::of);
    private final ScheduledExecutorService renewals = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "run-leases");
        thread.setDaemon(true);
        return thread;
    });
    private final Map<Long, Running> running = new ConcurrentHashMap<>();
    /** Threads executing a job right now, until the job's last record is saved. */
    private final Set<Thread> executing = ConcurrentHashMap.newKeySet();

    private volatile boolean started;
    /** This process is shutting down: it starts no run. */
    private volatile boolean stopping;

    RunLeases(
            JdbcClient jdbc,
            JobRepository repository,
            JobOperator jobOperator,
            LiveDefinitions definitions,
            Clock clock,
            StopReasons stopReasons) {
        this.jdbc = jdbc;
        this.repository = repository;
        this.jobOperator = jobOperator;
        this.lease = definitions.current().settings().runs().lease();
        this.clock = clock;
        this.stopReasons = stopReasons;
        this.node = Node.current();
    }

    private record Running(
            JobExecution execution, Thread thread, List<AdvisoryLock> locks, ScheduledFuture<?> renewal) {}

    Duration lease() {
        return lease;
    }

    /**
     * Executes {@code work} (which runs a job in this thread) with {@code locks} kept alive while the job runs. Refused
     * once this process is shutting down: a fire or a takeover during the shutdown would start a run the shutdown then
     * waits for; the next process takes it.
     */
    <T> T holding(List<AdvisoryLock> locks, Callable<T> work) throws Exception {
        if (stopping) {
            // busy, not refused: a takeover keeps the run noted to be resumed, for the next serve
            throw new RunBusyException("this process is shutting down: it starts no run now; the next serve (or"
                    + " forkrunner restart) takes it");
        }
        locksOfThisThread.set(List.copyOf(locks));
        executing.add(Thread.currentThread());
        try {
            return work.call();
        } finally {
            locksOfThisThread.remove();
            executing.remove(Thread.currentThread());
        }
    }

    @Override
    public void beforeJob(JobExecution execution) {
        renew(execution);
        long period = Math.min(RENEW_AT_MOST_EVERY.toMillis(), Math.max(200, lease.toMillis() / 3));
        Thread thread = Thread.currentThread();
        List<AdvisoryLock> locks = locksOfThisThread.get();
        ScheduledFuture<?> renewal = renewals.scheduleAtFixedRate(
                () -> renewOrStop(execution, thread, locks), period, period, TimeUnit.MILLISECONDS);
        running.put(execution.getId(), new Running(execution, thread, locks, renewal));
    }

    @Override
    public void afterJob(JobExecution execution) {
        Running run = running.remove(execution.getId());
        if (run != null) {
            run.renewal().cancel(false);
        }
        stopReasons.forget(execution.getId());
        jdbc.sql("delete from run_leases where execution_id = :execution and node = :node")
                .param("execution", execution.getId())
                .param("node", node)
                .update();
    }

    private void renewOrStop(JobExecution execution, Thread thread, List<AdvisoryLock> locks) {
        long runId = execution.getJobInstance().getInstanceId();
        try {
            try {
                locks.forEach(AdvisoryLock::keepAlive);
            } catch (RuntimeException lost) {
                fence(execution, thread, "its lock in the metadata store was lost (" + lost.getMessage() + ")");
                return;
            }
            if (!renew(execution)) {
                fence(execution, thread, "its lease was taken by another process");
                return;
            }
            // a stop asked elsewhere marks the execution STOPPING, or at once STOPPED: either is a stop to obey
            JobExecution stored = repository.getJobExecution(execution.getId());
            if (stored != null
                    && (stored.getStatus() == BatchStatus.STOPPING || stored.getStatus() == BatchStatus.STOPPED)
                    && thread.isAlive()
                    && stopReasons.stopping(execution.getId(), "an operator asked it to stop (forkrunner stop)")) {
                log.info("run {} was asked to stop: stopping its step", runId);
                thread.interrupt();
            }
        } catch (RuntimeException e) {
            fence(execution, thread, "its lease could not be renewed (" + e.getMessage() + ")");
        }
    }

    /** This process no longer owns the run: its step must write nothing more. */
    private void fence(JobExecution execution, Thread thread, String why) {
        Running run = running.remove(execution.getId());
        if (run != null) {
            run.renewal().cancel(false);
        }
        long runId = execution.getJobInstance().getInstanceId();
        log.error("run {} is fenced off this process ({}): ending its step", runId, why);
        stopReasons.stopping(
                execution.getId(),
                "this process stopped it at once because " + why + ". Restart it with forkrunner restart " + runId);
        thread.interrupt();
    }

    /** Renews the lease when this process holds it or nobody does; false when another process has taken it. */
    private boolean renew(JobExecution execution) {
        int renewed = jdbc.sql("insert into run_leases (run_id, execution_id, node, expires_at)"
                        + " values (:run, :execution, :node, now() + :millis * interval '1 millisecond')"
                        + " on conflict (run_id) do update set execution_id = excluded.execution_id,"
                        + " node = excluded.node, expires_at = excluded.expires_at"
                        + " where run_leases.node = excluded.node or run_leases.execution_id < excluded.execution_id"
                        + " or run_leases.expires_at < now()")
                .param("run", execution.getJobInstance().getInstanceId())
                .param("execution", execution.getId())
                .param("node", node)
                .param("millis", lease.toMillis())
                .update();
        return renewed > 0;
    }

    // ---- shutdown: runs of this process end STOPPED, their children ended, and are noted for the next serve

    @Override
    public void start() {
        started = true;
    }

    @Override
    public boolean isRunning() {
        return started;
    }

    @Override
    public int getPhase() {
        return Integer.MAX_VALUE; // stopped first, while the metadata store and the scheduler are still there
    }

    @Override
    public void stop() {
        stopping = true;
        started = false;
        List<JobExecution> stopped =
                running.values().stream().map(Running::execution).toList();
        for (Running run : running.values()) {
            long runId = run.execution().getJobInstance().getInstanceId();
            log.info("shutting down: stopping run {}; the next serve resumes it", runId);
            toResume(runId, "the last shutdown stopped it");
            stopReasons.stopping(
                    run.execution().getId(),
                    "the process running it was shut down (SIGTERM or Ctrl-C). Restart it with forkrunner restart "
                            + runId + "; a serve resumes it by itself");
            try {
                jobOperator.stop(run.execution());
            } catch (Exception e) {
                log.warn(
                        "cannot mark execution {} stopping: {}", run.execution().getId(), e.getMessage());
            }
            run.thread().interrupt();
        }
        // the repository may say STOPPED before the run's thread has saved its last step: wait for the thread
        Instant deadline = clock.instant().plus(SHUTDOWN_WAIT);
        while (clock.instant().isBefore(deadline) && !executing.isEmpty()) {
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        renewals.shutdownNow();
        stopped.forEach(this::leaveStopped);
    }

    /**
     * Makes sure a run this shutdown stopped is recorded STOPPED, so that {@code restart} takes it: its thread may not
     * have saved its end (a save refused while it was being interrupted, or the thread still busy at the deadline).
     */
    private void leaveStopped(JobExecution execution) {
        try {
            JobExecution stored = repository.getJobExecution(execution.getId());
            if (stored == null || stored.getEndTime() != null) {
                return;
            }
            LocalDateTime now = LocalDateTime.now(clock);
            for (StepExecution step : stored.getStepExecutions()) {
                if (step.getEndTime() == null) {
                    step.setStatus(BatchStatus.STOPPED);
                    step.setExitStatus(ExitStatus.STOPPED);
                    step.setEndTime(now);
                    repository.update(step);
                }
            }
            stored.setStatus(BatchStatus.STOPPED);
            stored.setExitStatus(ExitStatus.STOPPED);
            stored.setEndTime(now);
            repository.update(stored);
            log.info(
                    "run {} recorded STOPPED at shutdown",
                    stored.getJobInstance().getInstanceId());
        } catch (RuntimeException e) {
            log.warn("cannot record execution {} STOPPED: {}", execution.getId(), e.getMessage());
        }
    }

    /** Notes a run for the cluster to resume: stopped by a shutdown, or left by a node that died. */
    void toResume(long runId, String reason) {
        jdbc.sql("insert into runs_to_resume (run_id, reason, recorded_at) values (:run, :reason, :now)"
                        + " on conflict (run_id) do nothing")
                .param("run", runId)
                .param("reason", reason)
                .param("now", Timestamp.from(clock.instant()))
                .update();
    }

    /** The runs noted to be resumed, with why. */
    public Map<Long, String> runsToResume() {
        Map<Long, String> runs = new java.util.TreeMap<>();
        jdbc.sql("select run_id, reason from runs_to_resume")
                .query((row, index) -> runs.put(row.getLong(1), row.getString(2)))
                .list();
        return runs;
    }

    /** A noted run was restarted (or can no longer be). */
    public void resumed(long runId) {
        jdbc.sql("delete from runs_to_resume where run_id = :run")
                .param("run", runId)
                .update();
    }
}
