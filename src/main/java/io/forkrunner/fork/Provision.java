package io.forkrunner.fork;

import io.forkrunner.definition.Region;
import io.forkrunner.definition.ServiceDefinition;
import io.forkrunner.provision.Instance;
import io.forkrunner.provision.InstanceSpec;
import java.util.Map;
import org.springframework.stereotype.Component;

/** Step 2: reserves the fork's name, region, port and data directory, and a port for its pools. */
@Component
class Provision extends ForkStep {

    Provision(ForkServices services) {
        super("provision", services);
    }

    @Override
    void execute(Run run) {
        ForkPlan plan = run.plan();
        Region region = services.definitions().region(plan.region());
        Instance instance = services.provisioner()
                .find(plan.fork())
                .orElseGet(() -> services.provisioner()
                        .reserve(new InstanceSpec(plan.fork(), region, plan.version(), null, Map.of())));
        run.report("port", String.valueOf(instance.port()));
        run.report("directory", instance.directory().toString());
        ServiceDefinition source = services.source(plan);
        if (run.job().copyPools() && !source.pools().isEmpty()) {
            int poolPort = services.provisioner().reservePort(plan.fork(), region, "pools");
            run.report("pool-port", String.valueOf(poolPort));
        }
        run.checkpoint("reserved");
    }
}
