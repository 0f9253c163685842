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
import java.util.stream.StreamSupport;
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
                JsonNode service = client(sourceRegion, secrets)
                        .get(AivenApi.service(source.aiven().project(), source.name()))
                        .path("service");
                int sourceNodes = service.path("node_count").asInt(0);
                Region target = definitions.region(job.target().region());
                JsonNode plans = client(target, secrets)
                        .get("/v1/project/" + AivenClient.segment(target.aiven().project()) + "/service_types")
                        .path("service_types")
                        .path("cassandra")
                        .path("service_plans");
                List<JsonNode> all =
                        StreamSupport.stream(plans.spliterator(), false).toList();
                List<String> enough = all.stream()
                        .filter(candidate -> candidate.path("node_count").asInt(0) >= sourceNodes)
                        .map(candidate -> candidate.path("service_plan").asString())
                        .toList();
                int targetNodes = all.stream()
                        .filter(candidate ->
                                candidate.path("service_plan").asString().equals(plan))
                        .mapToInt(candidate -> candidate.path("node_count").asInt(0))
                        .findFirst()
                        .orElse(-1);
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

    private static AivenClient client(Region region, Secrets secrets) {
        return AivenApi.client(region, secrets);
    }
}
