package io.forkrunner.fork;

import io.forkrunner.definition.JobDefinition;
import io.forkrunner.definition.JobDefinition.Integration;
import org.springframework.stereotype.Component;

/**
 * Step 6: the job's integrations, in order, each recorded when done: a restart continues with the first one not done.
 * (Subscriptions carried from the source were disabled while restoring, before the fork accepted connections.)
 */
@Component
class ReapplyIntegrations extends ForkStep {

    private final Integrations integrations;

    ReapplyIntegrations(ForkServices services, Integrations integrations) {
        super("reapply-integrations", services);
        this.integrations = integrations;
    }

    @Override
    void execute(Run run) {
        JobDefinition job = run.job();
        ForkPlan plan = run.plan();
        String recorded = run.reported("done");
        int done = recorded == null ? 0 : Integer.parseInt(recorded);
        for (int index = done; index < job.integrations().size(); index++) {
            Integration integration = job.integrations().get(index);
            integrations.apply(integration, index, job, plan, run.runId());
            run.report("done", String.valueOf(index + 1));
        }
    }
}
