package io.forkrunner.definition;

import io.forkrunner.system.SecretRef;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A region on the Aiven platform: its API, the project its forks are made in, the cloud and plan they get unless the
 * job says otherwise, where the API token comes from (never its value), and how long a fork's restore may show no
 * progress before its run fails.
 */
public record AivenAccount(URI url, String project, String cloud, String plan, SecretRef token, Duration stall) {

    /** {@code stall} when the region does not say. */
    public static final Duration DEFAULT_STALL = Duration.ofMinutes(30);

    /** Aiven's public API. */
    public static final URI PUBLIC_API = URI.create("https://api.aiven.io");

    /** The service types Aiven forks, as its API names them. */
    public static final List<String> TYPES =
            List.of("pg", "mysql", "redis", "valkey", "cassandra", "elasticsearch", "opensearch", "m3db", "grafana");

    /** Aiven's rule for service (and project) names. */
    public static final Pattern NAME = Pattern.compile("^[a-z][-a-z0-9]{0,63}$");

    public static final String NAME_RULE = "must be a lowercase letter then at most 63 lowercase letters, digits or"
            + " dashes (Aiven's rule for names)";

    public AivenAccount {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(project, "project");
        Objects.requireNonNull(cloud, "cloud");
        Objects.requireNonNull(plan, "plan");
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(stall, "stall");
    }
}
