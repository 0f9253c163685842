package io.forkrunner.fork;

import io.forkrunner.definition.Region;
import io.forkrunner.definition.ServiceDefinition;
import io.forkrunner.engine.Endpoint;
import io.forkrunner.provision.Instance;
import io.forkrunner.provision.InstanceSpec;
import java.util.Map;
import org.springframework.stereotype.Component;

/**
 * Step 2: reserves the fork's name, region, port and data directory, and a port for its pools. A fork made in an
 * existing server reserves nothing: it names the server and its new database.
 */
@Component
class Provision extends ForkStep {

    Provision(ForkServices services) {
        super("provision", services);
    }

    @Override
    void execute(Run run) {
        ForkPlan plan = run.plan();
        if (plan.intoServer()) {
            // the server exists: the new database is made by restore-data, which refuses one that is there already
            Endpoint server = services.serverEndpoint(plan);
            run.report("server", plan.server() + " (" + server.host() + ":" + server.port() + ")");
            run.report("database", plan.database());
            run.checkpoint("reserved");
            return;
        }
        Region region = services.definitions().region(plan.region());

        Instance instance = services.provisioner()
                .find(plan.fork())
                .orElseGet(() -> services.provisioner()
                        .reserve(new InstanceSpec(
                                plan.fork(), services.engine(plan).name(), region, plan.version(), null, Map.of())));
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
