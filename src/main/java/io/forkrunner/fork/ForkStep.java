package io.forkrunner.fork;

import io.forkrunner.definition.JobDefinition;
import io.forkrunner.engine.Progress;
import io.forkrunner.system.ForkrunnerException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.JobInterruptedException;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.scope.context.ChunkContext;
import org.springframework.batch.core.step.StepContribution;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.core.step.tasklet.Tasklet;
import org.springframework.batch.infrastructure.item.ExecutionContext;
import org.springframework.batch.infrastructure.repeat.RepeatStatus;
import tools.jackson.databind.json.JsonMapper;

/**
 * One step of a fork run. It reads the run's plan, records checkpoints in its step's context as it goes (each saved at
 * once, so that a run killed mid-step resumes from the last one), and reports progress. When the run is stopped, the
 * step's thread is interrupted; the step then ends STOPPED, not FAILED.
 */
abstract class ForkStep implements Tasklet {

    static final String PLAN = "plan";
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Duration PROGRESS_EVERY = Duration.ofSeconds(1);

    private final String name;
    protected final ForkServices services;

    ForkStep(String name, ForkServices services) {
        this.name = name;
        this.services = services;
    }

    String name() {
        return name;
    }

    @Override
    public RepeatStatus execute(StepContribution contribution, ChunkContext chunk) throws Exception {
        Run run = new Run(chunk.getStepContext().getStepExecution(), services);
        try {
            execute(run);
        } catch (Exception e) {
            if (Thread.interrupted() || interruption(e)) {
                throw stopped(run);
            }
            run.report("error", reason(e));
            throw e;
        }
        if (Thread.interrupted()) {
            throw stopped(run);
        }
        return RepeatStatus.FINISHED;
    }

    /** The step ends STOPPED at once, saying why: a stop asked, a shutdown, or the run's lock lost. */
    private JobInterruptedException stopped(Run run) {
        String message = "step " + name + " was stopped: "
                + services.stopReasons().of(run.execution().getId()).orElse("its thread was interrupted");
        try {
            run.report("error", message);
        } catch (RuntimeException unsaved) {
            // a run whose lock was lost may not reach the metadata store: the exception still says why
        }
        return new JobInterruptedException(message);
    }

    /** What went wrong as a person reads it: the message, followed by what its causes add (e.g. no space left). */
    static String reason(Throwable e) {
        StringBuilder reason = new StringBuilder(e.getMessage() == null ? e.toString() : e.getMessage());
        for (Throwable cause = e.getCause(); cause != null && cause != cause.getCause(); cause = cause.getCause()) {
            String more = cause.getMessage();
            if (more != null && !more.isBlank() && !reason.toString().contains(more)) {
                reason.append(": ").append(more);
            }
        }
        return reason.toString();
    }

    private static boolean interruption(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof InterruptedException
                    || cause instanceof java.nio.channels.ClosedByInterruptException) {
                return true;
            }
        }
        return false;
    }

    abstract void execute(Run run) throws Exception;

    /** What a step sees of its run: the job, the plan, its checkpoints and progress. */
    static final class Run {

        private final StepExecution step;
        private final ForkServices services;
        private Instant lastProgress = Instant.EPOCH;

        Run(StepExecution step, ForkServices services) {
            this.step = step;
            this.services = services;
        }

        JobExecution execution() {
            return step.getJobExecution();
        }

        long runId() {
            return step.getJobExecution().getJobInstance().getInstanceId();
        }

        String jobName() {
            return step.getJobExecution().getJobInstance().getJobName();
        }

        String parameter(String name) {
            Object value = step.getJobExecution().getJobParameters().getString(name);
            return value == null ? null : value.toString();
        }

        JobDefinition job() {
            return services.jobs()
                    .find(jobName())
                    .orElseThrow(() -> new ForkrunnerException("job " + jobName() + " is no longer declared in jobs/"));
        }

        ForkPlan plan() {
            String json = step.getJobExecution().getExecutionContext().getString(PLAN, null);
            if (json == null) {
                throw new IllegalStateException("run " + runId() + " has no plan: pick backup did not complete");
            }
            return ForkPlan.fromJson(json);
        }

        boolean hasPlan() {
            return step.getJobExecution().getExecutionContext().containsKey(PLAN);
        }

        void plan(ForkPlan plan) {
            step.getJobExecution().getExecutionContext().putString(PLAN, plan.toJson());
            repository().updateExecutionContext(step.getJobExecution());
        }

        /** Keeps a fact for a later step of the run, as the plan is kept; saved at once, and seen by a restart. */
        void keep(String key, Object fact) {
            step.getJobExecution().getExecutionContext().putString("kept." + key, JSON.writeValueAsString(fact));
            repository().updateExecutionContext(step.getJobExecution());
        }

        /** A fact an earlier step kept; null when none was. */
        <T> T kept(String key, Class<T> type) {
            String json = step.getJobExecution().getExecutionContext().getString("kept." + key, null);
            return json == null ? null : JSON.readValue(json, type);
        }

        boolean reached(String checkpoint) {
            return context().containsKey("checkpoint." + checkpoint);
        }

        /** Records that the step got this far; saved at once. */
        void checkpoint(String checkpoint) {
            context().putString("checkpoint." + checkpoint, clock().instant().toString());
            repository().updateExecutionContext(step);
        }

        /** A value the step reports (shown by {@code status}); saved at once. */
        void report(String key, String value) {
            context().putString("report." + key, value);
            repository().updateExecutionContext(step);
        }

        String reported(String key) {
            return context().getString("report." + key, null);
        }

        Progress progress() {
            return (what, done, total) -> {
                Instant now = clock().instant();
                if (done < total && Duration.between(lastProgress, now).compareTo(PROGRESS_EVERY) < 0) {
                    return;
                }
                lastProgress = now;
                context().putString("progress", what + ": " + done + (total > 0 ? " of " + total : ""));
                context().putLong("progress.done", done);
                context().putLong("progress.total", total);
                repository().updateExecutionContext(step);
            };
        }

        private ExecutionContext context() {
            return step.getExecutionContext();
        }

        private JobRepository repository() {
            return services.jobRepository();
        }

        private Clock clock() {
            return services.clock();
        }
    }
}
