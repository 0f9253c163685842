package io.forkrunner.schedule;

import io.forkrunner.definition.JobDefinition;
import io.forkrunner.definition.LiveDefinitions;
import io.forkrunner.run.SkippedFires;
import java.time.Instant;
import org.quartz.Trigger;
import org.quartz.listeners.TriggerListenerSupport;
import org.springframework.stereotype.Component;

/** Records the fires a job with {@code misfire: skip} missed while no node ran it. */
@Component
class MisfireRecorder extends TriggerListenerSupport {

    private final SkippedFires skippedFires;
    private final LiveDefinitions definitions;

    MisfireRecorder(SkippedFires skippedFires, LiveDefinitions definitions) {
        this.skippedFires = skippedFires;
        this.definitions = definitions;
    }

    @Override
    public String getName() {
        return "forkrunner-misfires";
    }

    @Override
    public void triggerMisfired(Trigger trigger) {
        if (!Schedules.FORKS.equals(trigger.getKey().getGroup())) {
            return;
        }
        JobDefinition job = definitions.current().jobs().get(trigger.getKey().getName());
        if (job != null && job.schedule() != null && job.schedule().misfire() == JobDefinition.Misfire.SKIP) {
            Instant missed = trigger.getNextFireTime() == null
                    ? Instant.now()
                    : trigger.getNextFireTime().toInstant();
            skippedFires.record(job.name(), missed, "missed while no serve ran (misfire: skip)");
        }
    }
}
