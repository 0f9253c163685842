package io.forkrunner.definition;

import io.forkrunner.system.SecretRef;
import java.math.BigDecimal;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One file {@code jobs/NAME.yml}: what to fork, where to, when, and what to do after.
 *
 * @param database where checks and sql integrations run on the fork; null for the first pool's database of the source,
 *     or {@code postgres}
 * @param tests SQL files run on the fork after its checks (upgrade tests): each result and its time is reported
 * @param events whether the source's scheduled events run on the fork ({@code events: on}); off by default
 * @param sso the fork's single sign-on, for a fork of a search service of forkrunner's whose security configuration
 *     may have some; null when the job says nothing (a fork on Aiven has its own in {@link AivenTarget#sso})
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
        List<Path> tests,
        boolean events,
        Retention retention,
        List<Notification> notifications,
        Sso sso) {

    /** A job without single sign-on of its own. */
    public JobDefinition(
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
            List<Path> tests,
            boolean events,
            Retention retention,
            List<Notification> notifications) {
        this(
                name,
                description,
                source,
                database,
                target,
                from,
                schedule,
                copyUsers,
                copyPools,
                integrations,
                checks,
                tests,
                events,
                retention,
                notifications,
                null);
    }

    public JobDefinition {
        Names.require(name, "job");
        Names.require(source, "service");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(from, "from");
        integrations = List.copyOf(integrations);
        checks = List.copyOf(checks);
        tests = List.copyOf(tests);
        Objects.requireNonNull(retention, "retention");
        notifications = List.copyOf(notifications);
    }

    /**
     * Where and as what the fork is made.
     *
     * @param name the fork's name, with placeholders {@code {job} {date} {time} {run}}
     * @param region where the fork runs
     * @param version PostgreSQL major of the fork; null for the source's
     * @param server an existing service the fork is restored into as a new database, for targets where instances
     *     cannot be created; null for a new instance
     * @param database the new database on {@code server}, with the placeholders of {@code name}; null without a server
     * @param aiven what a fork in a region on Aiven is made with; null in a region of forkrunner's own
     * @param engine the engine the fork is made with when not its source's: an Elasticsearch service's into
     *     {@code opensearch}; null for the source's
     * @param nodes how many nodes a Cassandra or search fork's cluster has, never fewer than its source's; null for as many
     */
    public record Target(
            String name,
            String region,
            Integer version,
            String server,
            String database,
            AivenTarget aiven,
            String engine,
            Integer nodes) {

        public Target(String name, String region, Integer version, String server, String database, AivenTarget aiven) {
            this(name, region, version, server, database, aiven, null, null);
        }

        public Target(String name, String region, Integer version) {
            this(name, region, version, null, null);
        }

        public Target(String name, String region, Integer version, String server, String database) {
            this(name, region, version, server, database, null);
        }

        public Target {
            if ((server == null) != (database == null)) {
                throw new IllegalArgumentException("target.server and target.database go together");
            }
        }
    }

    /**
     * A fork on Aiven: its plan and cloud (the region's unless given), its disk size (the plan's unless given) and the
     * tags it carries besides forkrunner's own.
     */
    public record AivenTarget(String plan, String cloud, Integer diskSpaceMb, Map<String, String> tags, Sso sso) {

        /** How the tags forkrunner sets on a fork begin: a job's own tags never do. */
        public static final String FORKRUNNER_TAGS = "forkrunner";

        public AivenTarget {
            Objects.requireNonNull(plan, "plan");
            Objects.requireNonNull(cloud, "cloud");
            tags = Map.copyOf(tags);
        }

        public AivenTarget(String plan, String cloud, Integer diskSpaceMb, Map<String, String> tags) {
            this(plan, cloud, diskSpaceMb, tags, null);
        }

        AivenTarget withSso(Sso sso) {
            return new AivenTarget(plan, cloud, diskSpaceMb, tags, sso);
        }
    }

    /**
     * The single sign-on of a fork of an OpenSearch service, whose own SAML or OpenID settings name its URLs and are
     * never carried to a fork: the fork's own ({@code saml} or {@code openid}, with secrets as references),
     * or {@code later}, when the fork is made with SSO off and its run warns that it must be set.
     *
     * @param kind {@code saml}, {@code openid} or {@code later}
     */
    public record Sso(String kind, Map<String, String> settings, Map<String, SecretRef> secrets) {

        public static final Sso LATER = new Sso("later", Map.of(), Map.of());

        public Sso {
            if (!List.of("saml", "openid", "later").contains(kind)) {
                throw new IllegalArgumentException("not a kind of single sign-on: " + kind);
            }
            settings = Map.copyOf(settings);
            secrets = Map.copyOf(secrets);
        }

        public boolean later() {
            return kind.equals("later");
        }
    }

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

    /**
     * A file of statements run on the fork in its engine's language: SQL ({@code type: sql}), Redis commands
     * ({@code type: redis}), HTTP requests to a search service ({@code type: http}) or CQL ({@code type: cql}).
     */
    public record SqlIntegration(Path file) implements Integration {}

    public record WebhookIntegration(URI url) implements Integration {}

    public record PrometheusIntegration(Path file) implements Integration {}

    public record CommandIntegration(List<String> argv) implements Integration {}

    /**
     * A service integration Aiven makes for a fork on Aiven ({@code type: aiven}): of {@code integrationType}, between
     * the fork and the other end the job names (a service or an integration endpoint, as source or destination), with
     * its user_config passed on as written.
     *
     * @param otherEnd which key names the other end: {@code dest_service}, {@code source_service},
     *     {@code dest_endpoint_id} or {@code source_endpoint_id}
     */
    public record AivenIntegration(
            String integrationType, String otherEnd, String other, Map<String, Object> userConfig)
            implements Integration {

        public static final List<String> OTHER_ENDS =
                List.of("dest_service", "source_service", "dest_endpoint_id", "source_endpoint_id");

        public AivenIntegration {
            if (!OTHER_ENDS.contains(otherEnd)) {
                throw new IllegalArgumentException("not an end of an Aiven integration: " + otherEnd);
            }
            Objects.requireNonNull(integrationType, "integrationType");
            Objects.requireNonNull(other, "other");
            userConfig = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(userConfig));
        }

        /** The request that makes it for {@code fork}: the fork is the end the job does not name. */
        public Map<String, Object> request(String fork) {
            Map<String, Object> body = new java.util.LinkedHashMap<>();
            body.put("integration_type", integrationType);
            body.put(otherEnd, other);
            body.put(otherEnd.startsWith("dest") ? "source_service" : "dest_service", fork);
            if (!userConfig.isEmpty()) {
                body.put("user_config", userConfig);
            }
            return body;
        }
    }

    /** Which of the job's forks are kept: the newest {@code keep}, none older than {@code ttl}; null for no limit. */
    public record Retention(Integer keep, Duration ttl) {}

    /**
     * A webhook told when a run of the job fails, succeeds, or runs longer than {@code after}.
     *
     * @param after the threshold of {@code long-running}; null for the other events
     */
    public record Notification(NotifyOn on, URI url, Threshold after) {

        public Notification {
            Objects.requireNonNull(on, "on");
            Objects.requireNonNull(url, "url");
            if ((on == NotifyOn.LONG_RUNNING) != (after != null)) {
                throw new IllegalArgumentException("after is required for, and only allowed with, on: long-running");
            }
        }
    }

    public enum NotifyOn {
        FAILURE,
        SUCCESS,
        LONG_RUNNING
    }

    /** When a run counts as long-running: after a fixed time, or after a multiple of the job's usual duration. */
    public sealed interface Threshold {

        /** As written in the job file: {@code 30m}, {@code 2x}. */
        String text();
    }

    public record LongerThan(Duration duration) implements Threshold {

        public LongerThan {
            if (duration.isNegative() || duration.isZero()) {
                throw new IllegalArgumentException("a threshold must be positive: " + duration);
            }
        }

        @Override
        public String text() {
            return Durations.format(duration);
        }
    }

    /** {@code factor} times the median duration of the job's last completed runs. */
    public record TimesUsual(BigDecimal factor) implements Threshold {

        public TimesUsual {
            if (factor.signum() <= 0) {
                throw new IllegalArgumentException("a factor must be positive: " + factor);
            }
        }

        @Override
        public String text() {
            return factor.stripTrailingZeros().toPlainString() + "x";
        }
    }
}
