package io.forkrunner.api;

import io.forkrunner.run.Operator;
import io.forkrunner.system.ForkrunnerException;
import jakarta.annotation.PreDestroy;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.stereotype.Component;

/**
 * Runs launched or restarted through the API execute in this node, in the background: the request answers as soon
 * as the run exists, or with the reason it could not start.
 */
@Component
class Launches {

    private static final Duration STARTS_WITHIN = Duration.ofSeconds(30);

    private final Operator operator;
    private final JobRepository repository;
    private final ExecutorService executor = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "api-run");
        thread.setDaemon(true);
        return thread;
    });

    Launches(Operator operator, JobRepository repository) {
        this.operator = operator;
        this.repository = repository;
    }

    /** Launches a run of {@code job}; returns its id once it exists. */
    long launch(String job, String at) {
        String trigger = Operator.manualTrigger();
        return start(
                () -> operator.launch(job, at, trigger),
                () -> operator.runOf(job, trigger).orElse(-1L));
    }

    /** Restarts a run; returns once its new execution began. */
    void restart(long run) {
        int executions =
                repository.getJobExecutions(repository.getJobInstance(run)).size();
        start(
                () -> operator.restart(run),
                () -> repository
                                        .getJobExecutions(repository.getJobInstance(run))
                                        .size()
                                > executions
                        ? run
                        : -1);
    }

    /** Submits {@code work}; waits until {@code started} gives an id, or the work ends (its exception is thrown). */
    private long start(LongSupplier work, LongSupplier started) {
        CompletableFuture<Long> future = CompletableFuture.supplyAsync(work::getAsLong, executor);
        long deadline = System.nanoTime() + STARTS_WITHIN.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                return future.get(200, TimeUnit.MILLISECONDS);
            } catch (TimeoutException stillRunning) {
                long id = started.getAsLong();
                if (id >= 0) {
                    return id;
                }
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RuntimeException runtime) {
                    throw runtime;
                }
                throw new ForkrunnerException(e.getCause().getMessage(), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ForkrunnerException("interrupted while starting a run");
            }
        }
        throw new ForkrunnerException("the run did not start within " + STARTS_WITHIN.toSeconds() + " s");
    }

    @PreDestroy
    void stop() {
        executor.shutdownNow();
    }
}
