package io.forkrunner.provision.aiven;

import io.forkrunner.definition.Definitions;
import io.forkrunner.definition.JobDefinition;
import io.forkrunner.definition.Region;
import io.forkrunner.definition.ServiceDefinition;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.Problem;
import io.forkrunner.system.Secrets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/** What {@code validate} asks the Aiven API about the jobs forking services there. */
public final class AivenChecks {

    private AivenChecks() {}

    /**
     * The jobs that would fork a Cassandra service on Aiven onto a plan of fewer nodes than it has, as problems of
     * their {@code target.plan}: a node's data belongs to the token ranges it owns, so fewer nodes would lose data.
     * Services and plans Aiven cannot tell of are reported as such.
     */
    public static List<Problem> cassandraNodes(Definitions definitions, Secrets secrets) {
        List<Problem> problems = new ArrayList<>();
        for (JobDefinition job : definitions.jobs().values()) {
            ServiceDefinition source = definitions.services().get(job.source());
            if (source == null || !source.onAiven() || !source.aiven().type().equals("cassandra")) {
                continue;
            }
            String file = "jobs/" + job.name() + ".yml";
            String plan = job.target().aiven().plan();
            try {
                Region sourceRegion = definitions.region(source.region());
                JsonNode service = AivenApi.client(sourceRegion, secrets)
                        .get(AivenApi.service(source.aiven().project(), source.name()))
                        .path("service");
                int sourceNodes = service.path("node_count").asInt(0);
                Region target = definitions.region(job.target().region());
                Map<String, Integer> plans = AivenApi.planNodes(
                        AivenApi.client(target, secrets), target.aiven().project(), "cassandra");
                List<String> enough = plans.entrySet().stream()
                        .filter(candidate -> candidate.getValue() >= sourceNodes)
                        .map(Map.Entry::getKey)
                        .toList();
                int targetNodes = plans.getOrDefault(plan, -1);
                if (targetNodes < 0) {
                    problems.add(new Problem(
                            file,
                            0,
                            "target.plan",
                            plan,
                            "is not a Cassandra plan of Aiven project "
                                    + target.aiven().project(),
                            enough));
                } else if (targetNodes < sourceNodes) {
                    problems.add(new Problem(
                            file,
                            0,
                            "target.plan",
                            plan,
                            "has " + targetNodes + " nodes, fewer than the " + sourceNodes + " of Cassandra service "
                                    + source.name() + ": a node's data belongs to the token ranges it owns, so a fork"
                                    + " to fewer nodes would lose data",
                            enough));
                }
            } catch (ForkrunnerException e) {
                problems.add(new Problem(
                        file, 0, "source", source.name(), "cannot be checked on Aiven: " + e.getMessage(), List.of()));
            }
        }
        return problems;
    }
}
