package io.forkrunner.definition;

import io.forkrunner.system.SecretRef;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/** {@code config/forkrunner.yml}: forkrunner's own settings. */
public record Settings(Metadata metadata, Api api, Runs runs) {

    public static final String DEFAULT_METADATA_URL = "jdbc:postgresql://127.0.0.1:5432/forkrunner";

    /**
     * Where forkrunner keeps its records.
     *
     * @param configured false when the file says nothing, so that forkrunner may start its own instance
     */
    public record Metadata(String url, String user, SecretRef password, boolean configured) {}

    /**
     * The REST API, dashboard and actuator of {@code serve}.
     *
     * @param address the IP address it listens on: loopback unless the file says otherwise (e.g. behind a TLS proxy)
     */
    public record Api(int port, List<Token> tokens, String address) {

        public static final String DEFAULT_ADDRESS = "127.0.0.1";

        public Api {
            tokens = List.copyOf(tokens);
            Objects.requireNonNull(address, "address");
        }

        public Api(int port, List<Token> tokens) {
            this(port, tokens, DEFAULT_ADDRESS);
        }
    }

    /**
     * How runs behave.
     *
     * @param lease how long a run stays claimed by a process that stopped renewing it before another may recover it
     * @param copyBytesPerSecond the rate at which backups are laid down; 0 for no limit
     * @param sweepEvery how often the sweep looks for runs of dead nodes, long runs and expired forks
     */
    public record Runs(Duration lease, long copyBytesPerSecond, Duration sweepEvery) {

        public static final Runs DEFAULTS = new Runs(Duration.ofSeconds(60), 0, Duration.ofSeconds(10));
    }

    public record Token(String name, Role role, SecretRef secret) {}

    public enum Role {
        VIEWER,
        OPERATOR
    }
}
