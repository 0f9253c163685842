package io.forkrunner.fork;

import io.forkrunner.definition.JobDefinition;
import io.forkrunner.definition.ServiceDefinition;
import io.forkrunner.engine.Engine;
import io.forkrunner.engine.Pooling;
import io.forkrunner.engine.Pools;
import io.forkrunner.engine.Role;
import io.forkrunner.engine.Users;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Step 5: the fork carries the backup's roles with their verifiers and memberships (a physical restore brings them; a
 * logical one is checked against the temporary restore it was dumped from, never the source), and a pooler in front
 * of the fork serves the source's pools.
 */
@Component
class CopyUsersAndPools extends ForkStep {

    private static final Logger log = LoggerFactory.getLogger(CopyUsersAndPools.class);

    CopyUsersAndPools(ForkServices services) {
        super("copy-users-and-pools", services);
    }

    @Override
    void execute(Run run) {
        ForkPlan plan = run.plan();
        JobDefinition job = run.job();
        Engine engine = services.engine(plan);
        if (plan.intoServer()) {
            // restore-data created the roles the server lacked and reported those it left alone
            run.report("pools", "none: the fork is a database in " + plan.server() + ", whose pools are its own");
            return;
        }
        Optional<Users> users = engine.users();
        if (users.isEmpty()) {
            run.report("users", engine.notApplicable());
        } else if (job.copyUsers()) {
            List<Role> fork = users.get().roles(services.forkEndpoint(plan));
            run.report("roles", String.valueOf(fork.size()));
            DumpedFrom dumped = plan.logical() ? run.kept(DumpedFrom.KEY, DumpedFrom.class) : null;
            List<String> differences = dumped == null ? List.of() : differences(dumped.roles(), fork);
            if (!differences.isEmpty()) {
                log.warn("roles of fork {} differ from its temporary restore's: {}", plan.fork(), differences);
                run.report("roles-differ-from-backup", String.join(", ", differences));
            }
        } else {
            users.get().removePasswords(services.forkEndpoint(plan));
            run.report("passwords", "removed: users: none");
        }
        ServiceDefinition source = services.source(plan);

        Optional<Pooling> pooling = engine.pooling();
        if (pooling.isEmpty()) {
            run.report("pools", engine.notApplicable());
            return;
        }
        Integer poolPort = services.provisioner().portOf(plan.fork(), "pools").orElse(null);
        if (job.copyPools() && !source.pools().isEmpty() && poolPort != null) {
            pooling.get().start(services.place(plan), services.forkEndpoint(plan), new Pools(poolPort, source.pools()));
            run.report("pools", String.valueOf(source.pools().size()));
        }
    }

    private static List<String> differences(List<Role> source, List<Role> fork) {
        Map<String, Role> forkByName = new HashMap<>();
        fork.forEach(role -> forkByName.put(role.name(), role));
        List<String> differences = new ArrayList<>();
        for (Role role : source) {
            Role other = forkByName.remove(role.name());
            if (other == null) {
                differences.add(role.name() + " (missing on the fork)");
            } else if (!other.equals(role)) {
                differences.add(role.name());
            }
        }
        forkByName.keySet().forEach(name -> differences.add(name + " (only on the fork)"));
        return differences;
    }
}
