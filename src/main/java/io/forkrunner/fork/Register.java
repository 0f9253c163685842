package io.forkrunner.fork;

import io.forkrunner.engine.Endpoint;
import org.springframework.stereotype.Component;

/** Step 8: the fork becomes a service in the registry; retention then drops this job's oldest forks beyond keep. */
@Component
class Register extends ForkStep {

    private final Integrations integrations;
    private final ForkRetention retention;

    Register(ForkServices services, Integrations integrations, ForkRetention retention) {
        super("register", services);
        this.integrations = integrations;
        this.retention = retention;
    }

    @Override
    void execute(Run run) {
        ForkPlan plan = run.plan();
        Endpoint fork = services.forkEndpoint(plan);
        Integer poolPort = services.provisioner().portOf(plan.fork(), "pools").orElse(null);
        services.registry()
                .register(new ForkRecord(
                        plan.fork(),
                        plan.job(),
                        run.runId(),
                        plan.source(),
                        plan.region(),
                        services.engine(plan).name(),
                        plan.engine() == null
                                ? plan.version()
                                : services.engine(plan).inspection().majorVersion(fork),
                        plan.target(),
                        plan.backupId(),
                        fork.host(),
                        fork.port(),
                        poolPort,
                        services.clock().instant(),
                        plan.server(),
                        plan.database()));
        registered(run, plan, retention, integrations);
    }

    /**
     * What follows a fork's record, for every kind of fork: the checkpoint, then retention drops the job's oldest forks
     * beyond its keep, and the prometheus lists of its forks are written again.
     */
    static void registered(Run run, ForkPlan plan, ForkRetention retention, Integrations integrations) {
        run.checkpoint("registered");
        var dropped = retention.apply(run.job(), plan.fork());
        if (!dropped.isEmpty()) {
            run.report("dropped", String.join(", ", dropped));
        }
        integrations.refreshForkLists(run.job());
    }
}
