package io.forkrunner.fork;

import io.forkrunner.definition.JobDefinition;
import io.forkrunner.definition.LiveDefinitions;
import io.forkrunner.definition.ServiceDefinition;
import io.forkrunner.system.BadInputException;
import io.forkrunner.system.Problem;
import java.util.List;
import org.springframework.batch.core.job.Job;
import org.springframework.batch.core.job.builder.JobBuilder;
import org.springframework.batch.core.job.builder.SimpleJobBuilder;
import org.springframework.batch.core.listener.JobExecutionListener;
import org.springframework.batch.core.listener.StepExecutionListener;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.Step;
import org.springframework.batch.core.step.builder.StepBuilder;
import org.springframework.batch.infrastructure.support.transaction.ResourcelessTransactionManager;
import org.springframework.stereotype.Component;

/**
 * The Spring Batch job of a forkrunner job: the eight steps of a fork, named after it. Steps run outside a database
 * transaction, so each checkpoint they record is saved at once and survives a killed process.
 */
@Component
public class ForkJobs {

    /** The steps of every fork run, in order. */
    public static final List<String> STEPS = List.of(
            "pick-backup",
            "provision",
            "restore-data",
            "copy-configuration",
            "copy-users-and-pools",
            "reapply-integrations",
            "verify",
            "register");

    /** The key of a step's report that warns of something its run leaves undone, shown with the run. */
    public static final String WARNING = "warning";

    private final JobRepository repository;
    private final LiveDefinitions definitions;
    private final List<Step> steps;
    private final List<Step> aivenSteps;
    private final AivenFork aivenFork;
    private final List<JobExecutionListener> listeners;
    private final List<StepExecutionListener> stepListeners;

    ForkJobs(
            JobRepository repository,
            PickBackup pickBackup,
            Provision provision,
            RestoreData restoreData,
            CopyConfiguration copyConfiguration,
            CopyUsersAndPools copyUsersAndPools,
            ReapplyIntegrations reapplyIntegrations,
            Verify verify,
            Register register,
            AivenFork aivenFork,
            LiveDefinitions definitions,
            List<JobExecutionListener> listeners,
            List<StepExecutionListener> stepListeners) {
        this.repository = repository;
        this.definitions = definitions;
        this.listeners = List.copyOf(listeners);
        this.stepListeners = List.copyOf(stepListeners);
        this.steps = List.of(
                        pickBackup,
                        provision,
                        restoreData,
                        copyConfiguration,
                        copyUsersAndPools,
                        reapplyIntegrations,
                        verify,
                        register)
                .stream()
                .map(this::step)
                .toList();
        this.aivenFork = aivenFork;
        this.aivenSteps = aivenFork.steps().stream().map(this::step).toList();
    }

    private Step step(ForkStep tasklet) {
        var builder =
                new StepBuilder(tasklet.name(), repository).tasklet(tasklet, new ResourcelessTransactionManager());
        stepListeners.forEach(builder::listener);
        return builder.build();
    }

    /**
     * What {@code run JOB --dry-run} prints: the calls a run would make. For jobs forking services on Aiven, whose
     * runs are calls to its API; refused for the others.
     */
    public List<String> dryRun(JobDefinition definition, String at) {
        boolean onAiven = definitions
                .current()
                .service(definition.source())
                .map(ServiceDefinition::onAiven)
                .orElse(false);
        if (!onAiven) {
            throw new BadInputException(new Problem(
                    "command line",
                    0,
                    "--dry-run",
                    definition.name(),
                    "is for jobs forking services on Aiven, whose runs are calls to its API; " + definition.source()
                            + " is not on Aiven",
                    List.of()));
        }
        return aivenFork.dryRun(definition, at);
    }

    public Job job(JobDefinition definition) {
        boolean onAiven = definitions
                .current()
                .service(definition.source())
                .map(ServiceDefinition::onAiven)
                .orElse(false);
        List<Step> chosen = onAiven ? aivenSteps : steps;
        SimpleJobBuilder builder = new JobBuilder(definition.name(), repository).start(chosen.get(0));
        chosen.subList(1, chosen.size()).forEach(builder::next);
        listeners.forEach(builder::listener);
        return builder.build();
    }
}
