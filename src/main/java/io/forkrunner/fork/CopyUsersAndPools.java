package io.forkrunner.fork;

import io.forkrunner.definition.JobDefinition;
import io.forkrunner.definition.ServiceDefinition;
import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.Engine;
import io.forkrunner.engine.Pooling;
import io.forkrunner.engine.Pools;
import io.forkrunner.engine.Role;
import io.forkrunner.engine.SecurityConfiguration;
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
        if (writeSecurityConfiguration(run, plan, engine)) {
            // a search service's users are its security configuration's
        } else if (users.isEmpty()) {
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

    /**
     * Writes the fork's security configuration (users, role mappings, single sign-on) from its backup's, where the
     * engine keeps one and the backup has it; for each single sign-on domain the fork has off ({@code sso: later}, or
     * the job's is of another kind), the run warns that it must be set. Whether there was one.
     */
    private boolean writeSecurityConfiguration(Run run, ForkPlan plan, Engine engine) {
        Optional<SecurityConfiguration> security = engine.securityConfiguration();
        if (security.isEmpty()) {
            return false;
        }
        Map<String, String> domains = security.get().singleSignOn(plan.backupDirectory());
        SecurityConfiguration.SingleSignOn given = services.singleSignOn(run.job());
        List<String> written = security.get()
                .writeForFork(
                        plan.backupDirectory(), services.place(plan), run.job().copyUsers(), given);
        for (String line : written) {
            int colon = line.indexOf(": ");
            run.report(line.substring(0, colon), line.substring(colon + 2));
        }
        List<String> named = new ArrayList<>(); // the domains the fork has off
        domains.forEach((name, kind) -> {
            if (given == null || !given.kind().equals(kind)) {
                named.add(kind + " domain " + name);
            }
        });
        if (!named.isEmpty()) {
            Endpoint fork = services.forkEndpoint(plan);
            run.report(
                    ForkJobs.WARNING,
                    "SSO must be reconfigured for this fork: " + plan.fork() + " was made with single sign-on off (the"
                            + " source's " + String.join(", ", named) + " names the source's URLs); set its own for"
                            + " its URLs, http://" + fork.host() + ":" + fork.port());
        }
        return !written.isEmpty();
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
