package io.forkrunner.fork;

import io.forkrunner.system.ForkrunnerException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every byte of a backup read against its checksums on a thread of its own, while the thread that started it lays the
 * backup down and recovers it: the two read the same files, and the restore is not used until {@link #await} says the
 * backup is whole. A backup found damaged interrupts the restore, which a damaged backup can leave waiting for ever.
 */
final class BackupVerification {

    private static final Logger log = LoggerFactory.getLogger(BackupVerification.class);

    private final FutureTask<Duration> task;
    private final Thread thread;
    private final Thread restorer;
    /** The refusal of a damaged backup, set before the restorer is interrupted. */
    private volatile RuntimeException damage;

    private BackupVerification(Supplier<Optional<String>> verification, Function<String, RuntimeException> damaged) {
        this.restorer = Thread.currentThread();
        this.task = new FutureTask<>(() -> {
            long started = System.nanoTime();
            Optional<String> problem = verification.get();
            // what a verification stopped part-way found says nothing of the backup
            if (Thread.currentThread().isInterrupted()) {
                throw new ForkrunnerException("verifying the backup was stopped");
            }
            if (problem.isPresent()) {
                damage = damaged.apply(problem.get());
                restorer.interrupt();
                throw damage;
            }
            return Duration.ofNanos(System.nanoTime() - started);
        });
        this.thread = new Thread(task, "backup-verification");
        thread.setDaemon(true);
    }

    /**
     * Starts {@code verification}, which reads the backup and names what is wrong with it; a problem found is handed to
     * {@code damaged}, which marks the backup and returns the refusal to throw. A verification stopped part-way hands
     * nothing.
     */
    static BackupVerification start(
            Supplier<Optional<String>> verification, Function<String, RuntimeException> damaged) {
        BackupVerification started = new BackupVerification(verification, damaged);
        started.thread.start();
        return started;
    }

    /** Waits for the verification to end; returns how long it took, or throws what it found wrong. */
    Duration await() {
        if (!task.isDone()) {
            log.info("waiting for the backup's verification to end");
        }
        try {
            return task.get();
        } catch (InterruptedException e) {
            if (damage != null) {
                throw damage;
            }
            Thread.currentThread().interrupt();
            throw new ForkrunnerException("waiting for the backup's verification was stopped", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException failed) {
                if (failed == damage) {
                    Thread.interrupted(); // sent by the verification, which is what this throws
                }
                throw failed;
            }
            throw new ForkrunnerException("verifying the backup failed: " + e.getCause(), e.getCause());
        } catch (CancellationException e) {
            throw new ForkrunnerException("verifying the backup was stopped", e);
        }
    }

    /**
     * The restore failed with {@code failure}: returns what to throw. A damaged backup explains the failure better (the
     * interrupt it sent is taken back); unless the restore was stopped, the verification is waited for to tell.
     */
    RuntimeException explain(RuntimeException failure) {
        RuntimeException refusal = damage;
        if (refusal == null && !Thread.currentThread().isInterrupted()) {
            try {
                await();
            } catch (ForkrunnerException found) {
                refusal = damage;
            }
        }
        if (refusal == null) {
            return failure;
        }
        Thread.interrupted();
        refusal.addSuppressed(failure);
        return refusal;
    }

    /** Stops a verification still under way and waits until it ended: nothing it started keeps running. */
    void stop() {
        if (task.isDone()) {
            return;
        }
        task.cancel(true);
        boolean interrupted = Thread.interrupted();
        try {
            thread.join();
        } catch (InterruptedException e) {
            interrupted = true;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
