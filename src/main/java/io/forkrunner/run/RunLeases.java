package io.forkrunner.run;

import io.forkrunner.definition.LiveDefinitions;
import io.forkrunner.system.Node;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.launch.JobOperator;
import org.springframework.batch.core.listener.JobExecutionListener;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.context.SmartLifecycle;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * The leases of the runs this process executes. While a run executes, its lease is renewed every third of its length;
 * a run whose lease expired (and whose lock is free) belongs to a process that died. The renewal also watches for a
 * stop asked by another process and interrupts the run's thread, so that it ends STOPPED. On shutdown (SIGTERM) every
 * run of this process is stopped and waited for before the context closes.
 */
@Component
class RunLeases implements JobExecutionListener, SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(RunLeases.class);
    private static final Duration SHUTDOWN_WAIT = Duration.ofSeconds(90);

    private final JdbcClient jdbc;
    private final JobRepository repository;
    private final JobOperator jobOperator;
    private final Duration lease;
    private final Clock clock;
    private final String node;
    private final ScheduledExecutorService renewals = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "run-leases");
        thread.setDaemon(true);
        return thread;
    });
    private final Map<Long, Running> running = new ConcurrentHashMap<>();
    private volatile boolean started;

    RunLeases(
            JdbcClient jdbc,
            JobRepository repository,
            JobOperator jobOperator,
            LiveDefinitions definitions,
            Clock clock) {
        this.jdbc = jdbc;
        this.repository = repository;
        this.jobOperator = jobOperator;
        this.lease = definitions.current().settings().runs().lease();
        this.clock = clock;
        this.node = Node.current();
    }

    private record Running(JobExecution execution, Thread thread, ScheduledFuture<?> renewal) {}

    @Override
    public void beforeJob(JobExecution execution) {
        renew(execution);
        long period = Math.max(500, lease.toMillis() / 3);
        Thread thread = Thread.currentThread();
        ScheduledFuture<?> renewal = renewals.scheduleAtFixedRate(
                () -> renewOrInterrupt(execution, thread), period, period, TimeUnit.MILLISECONDS);
        running.put(execution.getId(), new Running(execution, thread, renewal));
    }

    @Override
    public void afterJob(JobExecution execution) {
        Running run = running.remove(execution.getId());
        if (run != null) {
            run.renewal().cancel(false);
        }
        jdbc.sql("delete from run_leases where execution_id = :execution")
                .param("execution", execution.getId())
                .update();
    }

    private void renewOrInterrupt(JobExecution execution, Thread thread) {
        try {
            renew(execution);
            JobExecution stored = repository.getJobExecution(execution.getId());
            if (stored != null && stored.getStatus() == BatchStatus.STOPPING && thread.isAlive()) {
                log.info(
                        "run {} was asked to stop: stopping its step",
                        execution.getJobInstance().getInstanceId());
                thread.interrupt();
            }
        } catch (RuntimeException e) {
            log.warn("cannot renew the lease of execution {}: {}", execution.getId(), e.getMessage());
        }
    }

    private void renew(JobExecution execution) {
        jdbc.sql(
                        "insert into run_leases (run_id, execution_id, node, expires_at) values (:run, :execution, :node, :expires)"
                                + " on conflict (run_id) do update set execution_id = excluded.execution_id,"
                                + " node = excluded.node, expires_at = excluded.expires_at")
                .param("run", execution.getJobInstance().getInstanceId())
                .param("execution", execution.getId())
                .param("node", node)
                .param("expires", Timestamp.from(clock.instant().plus(lease)))
                .update();
    }

    /** The lease of a run: which process holds it and until when. */
    record Lease(String node, Instant expiresAt) {}

    Optional<Lease> lease(long runId) {
        return jdbc.sql("select node, expires_at from run_leases where run_id = :run")
                .param("run", runId)
                .query((row, index) ->
                        new Lease(row.getString(1), row.getTimestamp(2).toInstant()))
                .optional();
    }

    String node() {
        return node;
    }

    // ---- shutdown: runs of this process end STOPPED, their children ended

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
        return Integer.MAX_VALUE; // stopped first, while the metadata store is still there
    }

    @Override
    public void stop() {
        started = false;
        for (Running run : running.values()) {
            log.info(
                    "shutting down: stopping run {}",
                    run.execution().getJobInstance().getInstanceId());
            try {
                jobOperator.stop(run.execution());
            } catch (Exception e) {
                log.warn(
                        "cannot mark execution {} stopping: {}", run.execution().getId(), e.getMessage());
            }
            run.thread().interrupt();
        }
        Instant deadline = clock.instant().plus(SHUTDOWN_WAIT);
        for (Running run : running.values()) {
            while (clock.instant().isBefore(deadline) && stillRunning(run.execution())) {
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
        renewals.shutdownNow();
    }

    private boolean stillRunning(JobExecution execution) {
        JobExecution stored = repository.getJobExecution(execution.getId());
        return stored != null && stored.getEndTime() == null;
    }
}
