package io.forkrunner.definition;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.List;
import java.util.Objects;

/**
 * One file {@code jobs/NAME.yml}: what to fork, where to, when, and what to do after.
 *
 * @param database where checks and sql integrations run on the fork; null for the first pool's database of the source,
 *     or {@code postgres}
 */
public record JobDefinition(
        String name,
        String description,
        String source,
        String database,
        Target target,
        PointInTime from,
        Schedule schedule,
        boolean copyUsers,
        boolean copyPools,
        List<Integration> integrations,
        List<String> checks,
        Retention retention) {

    public JobDefinition {
        Names.require(name, "job");
        Names.require(source, "service");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(from, "from");
        integrations = List.copyOf(integrations);
        checks = List.copyOf(checks);
        Objects.requireNonNull(retention, "retention");
    }

    /**
     * @param name the fork's name, with placeholders {@code {job} {date} {time} {run}}
     * @param region where the fork runs
     * @param version PostgreSQL major of the fork; null for the source's
     */
    public record Target(String name, String region, Integer version) {}

    /** When the job fires by itself. */
    public record Schedule(String cron, ZoneId zone, Misfire misfire, Overlap overlap) {}

    public enum Misfire {
        RUN_ONCE,
        SKIP
    }

    public enum Overlap {
        SKIP,
        QUEUE
    }

    /** Something reapplied on each fork, in the order the job lists them. */
    public sealed interface Integration {}

    public record SqlIntegration(Path file) implements Integration {}

    public record WebhookIntegration(URI url) implements Integration {}

    public record PrometheusIntegration(Path file) implements Integration {}

    public record CommandIntegration(List<String> argv) implements Integration {}

    /** Which of the job's forks are kept: the newest {@code keep}, none older than {@code ttl}; null for no limit. */
    public record Retention(Integer keep, Duration ttl) {}
}
