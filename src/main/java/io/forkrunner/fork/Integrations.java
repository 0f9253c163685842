package io.forkrunner.fork;

import io.forkrunner.definition.JobDefinition;
import io.forkrunner.definition.JobDefinition.CommandIntegration;
import io.forkrunner.definition.JobDefinition.Integration;
import io.forkrunner.definition.JobDefinition.PrometheusIntegration;
import io.forkrunner.definition.JobDefinition.SqlIntegration;
import io.forkrunner.definition.JobDefinition.WebhookIntegration;
import io.forkrunner.engine.Endpoint;
import io.forkrunner.system.Command;
import io.forkrunner.system.ForkrunnerException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.springframework.util.function.SingletonSupplier;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/** The integrations a job reapplies on each fork: sql, webhook, prometheus and command. None of them sees a secret. */
@Component
class Integrations {

    private static final Logger log = LoggerFactory.getLogger(Integrations.class);
    private static final JsonMapper JSON =
            JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();
    private static final int WEBHOOK_ATTEMPTS = 5;
    private static final Duration WEBHOOK_FIRST_BACKOFF = Duration.ofSeconds(1);

    private final ForkServices services;
    /** Made at the first webhook: a run that calls none starts no HTTP client threads. */
    private final SingletonSupplier<HttpClient> http = SingletonSupplier.of(
            () -> HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build());

    Integrations(ForkServices services) {
        this.services = services;
    }

    /** Where a fork answers, as integrations tell of it: its host and port, and its pools' port where it has pools. */
    record Address(String host, int port, Integer poolPort) {}

    /** Applies integration {@code index} of {@code job} to a fork forkrunner made on a host of its region. */
    void apply(Integration integration, int index, JobDefinition job, ForkPlan plan, long runId) {
        if (integration instanceof SqlIntegration sql) {
            String database = services.database(plan, job);
            Integrations.log.info(
                    "fork {}: running {}{}",
                    plan.fork(),
                    sql.file(),
                    database == null ? "" : " on database " + database);
            services.engine(plan)
                    .inspection()
                    .runSql(services.forkEndpoint(plan), database, sql.file(), log(runId, index));
        } else {
            Endpoint fork = services.forkEndpoint(plan);
            Integer pools = services.provisioner().portOf(plan.fork(), "pools").orElse(null);
            applyAt(integration, index, plan, runId, new Address(fork.host(), fork.port(), pools));
        }
    }

    /**
     * Applies a webhook, prometheus or command integration to a fork answering at {@code fork} (a fork on Aiven, whose
     * address the API gives); refused for any other type.
     */
    void applyAt(Integration integration, int index, ForkPlan plan, long runId, Address fork) {
        if (integration instanceof WebhookIntegration webhook) {
            post(webhook, describe(plan, runId, fork));
        } else if (integration instanceof PrometheusIntegration prometheus) {
            writeTargets(prometheus.file(), forksListing(prometheus.file(), plan, fork));
        } else if (integration instanceof CommandIntegration command) {
            services.runner()
                    .run(environment(Command.of(command.argv()), plan, runId, fork)
                            .loggingTo(log(runId, index))
                            .withTimeout(Duration.ofMinutes(30)));
        } else {
            throw new ForkrunnerException("integration " + (index + 1) + " of jobs/" + plan.job() + ".yml is of a"
                    + " type forkrunner cannot apply to fork " + plan.fork());
        }
    }

    /** Where integration {@code index} of run {@code runId} logs. */
    Path log(long runId, int index) {
        return services.home().logs().resolve("runs").resolve(runId + "-integration-" + (index + 1) + ".log");
    }

    /** What a webhook receives about a fork: names and endpoints, never a secret. */
    private Map<String, Object> describe(ForkPlan plan, long runId, Address fork) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("event", "fork.ready");
        body.put("job", plan.job());
        body.put("run", runId);
        body.put("fork", plan.fork());
        body.put("source", plan.source());
        body.put("region", plan.region());
        body.put("pointInTime", plan.target().toString());
        body.put("server", Map.of("host", fork.host(), "port", fork.port()));
        if (plan.intoServer()) {
            body.put("database", plan.database());
        }
        if (fork.poolPort() != null) {
            body.put("pools", Map.of("host", fork.host(), "port", fork.poolPort()));
        }
        return body;
    }

    private void post(WebhookIntegration webhook, Map<String, Object> body) {
        HttpRequest request = HttpRequest.newBuilder(webhook.url())
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)))
                .build();
        Duration backoff = WEBHOOK_FIRST_BACKOFF;
        String last = null;
        for (int attempt = 1; attempt <= WEBHOOK_ATTEMPTS; attempt++) {
            try {
                HttpResponse<String> response = http.obtain().send(request, HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() / 100 == 2) {
                    return;
                }
                last = "HTTP " + response.statusCode();
            } catch (IOException e) {
                last = e.toString();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ForkrunnerException("webhook " + webhook.url() + " was cancelled");
            }
            log.warn("webhook {} attempt {} of {} failed: {}", webhook.url(), attempt, WEBHOOK_ATTEMPTS, last);
            if (attempt < WEBHOOK_ATTEMPTS) {
                sleep(backoff);
                backoff = backoff.multipliedBy(2);
            }
        }
        throw new ForkrunnerException("webhook " + webhook.url() + " did not answer 2xx after " + WEBHOOK_ATTEMPTS
                + " attempts (last: " + last + ")");
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ForkrunnerException("cancelled while waiting to retry a webhook");
        }
    }

    private static Command environment(Command command, ForkPlan plan, long runId, Address fork) {
        Command withFork = command.withEnvironment("FORK_NAME", plan.fork())
                .withEnvironment("FORK_JOB", plan.job())
                .withEnvironment("FORK_RUN", String.valueOf(runId))
                .withEnvironment("FORK_SOURCE", plan.source())
                .withEnvironment("FORK_REGION", plan.region())
                .withEnvironment("FORK_POINT_IN_TIME", plan.target().toString())
                .withEnvironment("FORK_HOST", fork.host())
                .withEnvironment("FORK_PORT", String.valueOf(fork.port()));
        Command described = plan.intoServer() ? withFork.withEnvironment("FORK_DATABASE", plan.database()) : withFork;
        return fork.poolPort() == null
                ? described
                : described.withEnvironment("FORK_POOL_PORT", String.valueOf(fork.poolPort()));
    }

    /** The registered forks of every job that keeps this file, and the fork being made. */
    private List<Map<String, Object>> forksListing(Path file, ForkPlan current, Address fork) {
        List<Map<String, Object>> targets = new ArrayList<>();
        for (ForkRecord other : services.registry().list()) {
            if (keepsFile(other.job(), file) && !other.name().equals(current.fork())) {
                targets.add(
                        target(other.name(), other.job(), other.source(), other.region(), other.host(), other.port()));
            }
        }
        targets.add(
                target(current.fork(), current.job(), current.source(), current.region(), fork.host(), fork.port()));

        return targets;
    }

    /** Rewrites the prometheus files of a job from the registry, e.g. after retention dropped forks. */
    void refreshForkLists(JobDefinition job) {
        for (Integration integration : job.integrations()) {
            if (integration instanceof PrometheusIntegration prometheus) {
                List<Map<String, Object>> targets = services.registry().list().stream()
                        .filter(fork -> keepsFile(fork.job(), prometheus.file()))
                        .map(fork ->
                                target(fork.name(), fork.job(), fork.source(), fork.region(), fork.host(), fork.port()))
                        .toList();
                writeTargets(prometheus.file(), targets);
            }
        }
    }

    private boolean keepsFile(String jobName, Path file) {
        JobDefinition job = services.definitions().jobs().get(jobName);

        return job != null
                && job.integrations().stream()
                        .anyMatch(integration -> integration instanceof PrometheusIntegration prometheus
                                && Objects.equals(prometheus.file(), file));
    }

    private static Map<String, Object> target(
            String fork, String job, String source, String region, String host, int port) {
        return Map.of(
                "targets", List.of(host + ":" + port),
                "labels", Map.of("fork", fork, "job", job, "source", source, "region", region));
    }

    private static void writeTargets(Path file, List<Map<String, Object>> targets) {
        try {
            Files.createDirectories(file.getParent());
            Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(temporary, JSON.writeValueAsString(targets));
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
