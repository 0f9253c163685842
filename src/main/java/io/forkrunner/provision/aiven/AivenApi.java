package io.forkrunner.provision.aiven;

import io.forkrunner.definition.AivenAccount;
import io.forkrunner.definition.Region;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.Secrets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.springframework.stereotype.Component;
import tools.jackson.databind.JsonNode;

/**
 * The Aiven API of a region on Aiven, with its token resolved from where the region says, and the rules forkrunner
 * keeps there: the services it makes carry its tags, and it deletes none that lacks them or is protected.
 */
@Component
public class AivenApi {

    /** The tag naming the run that made a service: a restart adopts a service carrying its own run's. */
    public static final String RUN_TAG = "forkrunner-run";

    public static final String JOB_TAG = "forkrunner-job";

    private final Secrets secrets;

    AivenApi(Secrets secrets) {
        this.secrets = secrets;
    }

    public AivenClient client(Region region) {
        return client(region, secrets);
    }

    /** A client of the Aiven API of {@code region}, with its token resolved by {@code secrets}. */
    static AivenClient client(Region region, Secrets secrets) {
        AivenAccount account = region.aiven();
        if (account == null) {
            throw new IllegalArgumentException("region " + region.name() + " is not on Aiven");
        }
        return AivenClient.of(
                account.url(), secrets.resolve(account.token()), account.token().toString());
    }

    /** The node count of each plan of service type {@code type} in {@code project}, by plan, as the API lists them. */
    public static Map<String, Integer> planNodes(AivenClient client, String project, String type) {
        Map<String, Integer> plans = new LinkedHashMap<>();
        client.get("/v1/project/" + AivenClient.segment(project) + "/service_types")
                .path("service_types")
                .path(type)
                .path("service_plans")
                .forEach(plan -> plans.put(
                        plan.path("service_plan").asString(""),
                        plan.path("node_count").asInt(0)));
        return plans;
    }

    /** The path of a service: {@code /v1/project/PROJECT/service/SERVICE}. */
    public static String service(String project, String service) {
        return "/v1/project/" + AivenClient.segment(project) + "/service/" + AivenClient.segment(service);
    }

    /**
     * Deletes the service {@code name} that run {@code runId} made in {@code project}: refused, with nothing deleted,
     * when it is protected against termination or does not carry that run's tag. Nothing to do when it is gone.
     */
    public void deleteFork(Region region, String project, String name, long runId) {
        AivenClient client = client(region);
        JsonNode service;
        try {
            service = client.get(service(project, name)).path("service");
        } catch (AivenApiException e) {
            if (e.notFound()) {
                return;
            }
            throw e;
        }
        if (service.path("termination_protection").asBoolean(false)) {
            throw new ForkrunnerException("service " + name + " in Aiven project " + project + " is protected against"
                    + " termination: forkrunner deletes no protected service; turn the protection off to drop it");
        }
        String tag = service.path("tags").path(RUN_TAG).asString("");
        if (!tag.equals(String.valueOf(runId))) {
            throw new ForkrunnerException(
                    "service " + name + " in Aiven project " + project + " does not carry the tag "
                            + RUN_TAG + "=" + runId + " of the run that made the fork"
                            + (tag.isEmpty() ? "" : " (it carries " + RUN_TAG + "=" + tag + ")")
                            + ": forkrunner deletes only the services it made");
        }
        client.delete(service(project, name));
    }

    /** The tags a fork made by run {@code runId} of {@code job} carries, with the job's own. */
    public static Map<String, String> tags(Map<String, String> own, String job, long runId) {
        Map<String, String> tags = new TreeMap<>(own);
        tags.put(RUN_TAG, String.valueOf(runId));
        tags.put(JOB_TAG, job);
        return tags;
    }
}
