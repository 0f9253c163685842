package io.forkrunner.definition;

import io.forkrunner.system.SecretRef;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A running data store that forkrunner knows, as declared in {@code config/services.yml}.
 *
 * @param password where the password comes from; null when the server needs none
 * @param pooler the configuration file of the PgBouncer in front of the service, which {@code rename} points at the
 *     new service; null when there is none
 * @param notifications the webhooks told of the service's events
 * @param aiven the Aiven service this is, for a service of a region on Aiven (whose engine is {@value #AIVEN}, and
 *     which has no host, port, user or backups of forkrunner's); null otherwise
 * @param security the directory of a search service's security configuration (its security plugin's files, as
 *     {@code securityadmin.sh} applies them), which its backups carry; null when it has none
 * @param nodes every node of a Cassandra cluster, each snapshotted through JMX and its snapshot read from this host;
 *     empty for the other engines, whose service is the one server at {@code host} and {@code port}
 * @param jmx the login a Cassandra cluster's JMX asks for; null when it asks none (Cassandra's local JMX)
 */
public record ServiceDefinition(
        String name,
        String engine,
        String region,
        String host,
        int port,
        String user,
        SecretRef password,
        Backups backups,
        List<Pool> pools,
        Path pooler,
        List<ServiceNotification> notifications,
        AivenService aiven,
        Path security,
        List<Node> nodes,
        JmxLogin jmx) {

    /** The engine of a service on Aiven, which the Aiven API forks whatever its type. */
    public static final String AIVEN = "aiven";

    public ServiceDefinition {
        Names.require(name, "service");
        Names.require(region, "region");
        Objects.requireNonNull(engine, "engine");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(backups, "backups");
        pools = List.copyOf(pools);
        notifications = List.copyOf(notifications);
        nodes = List.copyOf(nodes);
        if ((aiven != null) != engine.equals(AIVEN)) {
            throw new IllegalArgumentException("a service on Aiven, and only one, has the engine " + AIVEN);
        }
    }

    /**
     * The login of a Cassandra cluster's JMX, as its nodes check it (a JMX password file, {@code
     * com.sun.management.jmxremote.password.file}): the same user and password on every node.
     */
    public record JmxLogin(String user, SecretRef password) {

        public JmxLogin {
            Objects.requireNonNull(user, "user");
            Objects.requireNonNull(password, "password");
        }
    }

    /**
     * A node of a Cassandra cluster on this host: the address it listens on (its CQL port is the service's), and the
     * port of its JMX on 127.0.0.1, which forkrunner reaches with the service's {@link JmxLogin} when it has one.
     */
    public record Node(String address, int jmxPort) {

        public Node {
            Objects.requireNonNull(address, "address");
            if (jmxPort < 1 || jmxPort > 65535) {
                throw new IllegalArgumentException("not a port: " + jmxPort);
            }
        }
    }

    public boolean onAiven() {
        return aiven != null;
    }

    /**
     * A service on the Aiven platform.
     *
     * @param type its Aiven service type ({@code pg}, {@code redis}, ...; {@link AivenAccount#TYPES})
     * @param project the project it is in: the region's unless it says another of the organization's
     */
    public record AivenService(String type, String project) {

        public AivenService {
            if (!AivenAccount.TYPES.contains(type)) {
                throw new IllegalArgumentException("not an Aiven service type: " + type);
            }
            Objects.requireNonNull(project, "project");
        }

        /**
         * What forkrunner queries forks of this type in, through the login the API gives: {@code sql} for {@code pg}
         * (PostgreSQL's clients) and {@code mysql} (MariaDB's), {@code redis} for {@code redis} and {@code valkey}
         * (forkrunner's own client), {@code cql} for {@code cassandra} (the Cassandra engine's client) and {@code http}
         * for {@code opensearch} and {@code elasticsearch} (the search engine's); empty for a type it does not query.
         * Integrations in that language run on such forks; checks and tests only in {@link #checked() sql and redis},
         * as on forkrunner's own services.
         */
        public Optional<String> language() {
            return switch (type) {
                case "pg", "mysql" -> Optional.of("sql");
                case "redis", "valkey" -> Optional.of("redis");
                case "cassandra" -> Optional.of("cql");
                case "opensearch", "elasticsearch" -> Optional.of("http");
                default -> Optional.empty();
            };
        }

        /** Whether a job forking this service may have checks and tests: a {@code sql} or {@code redis} type. */
        public boolean checked() {
            return language()
                    .filter(language -> language.equals("sql") || language.equals("redis"))
                    .isPresent();
        }
    }

    /**
     * @param every how often {@code serve} takes a base backup; null for only when asked
     * @param keep how many base backups are kept
     * @param maxRetainedBytes how much WAL the service's replication slot may hold on the source before forkrunner
     *     drops it, records a gap in the window and starts again from a fresh base backup
     */
    public record Backups(Duration every, int keep, Wal wal, long maxRetainedBytes) {

        /** {@code backups.max-retained} when services.yml does not say: 5GB. */
        public static final long DEFAULT_MAX_RETAINED = 5L * 1024 * 1024 * 1024;

        public Backups {
            if (keep < 1) {
                throw new IllegalArgumentException("keep must be at least 1");
            }
            Objects.requireNonNull(wal, "wal");
            if (maxRetainedBytes < 1) {
                throw new IllegalArgumentException("max-retained must be at least 1 byte");
            }
        }

        public Backups(Duration every, int keep, Wal wal) {
            this(every, keep, wal, DEFAULT_MAX_RETAINED);
        }
    }

    /** A webhook told of the service's events: a scheduled backup that failed, a gap in its WAL archive. */
    public record ServiceNotification(ServiceEvent on, URI url) {

        public ServiceNotification {
            Objects.requireNonNull(on, "on");
            Objects.requireNonNull(url, "url");
        }
    }

    /** What a service notification is about, as written in {@code on:}. */
    public enum ServiceEvent {
        /** A scheduled base backup failed. */
        BACKUP_FAILURE,
        /** The replication slot held more than {@code max-retained}: it was dropped and the window has a gap. */
        WAL_GAP
    }

    /** How WAL is archived between base backups. */
    public enum Wal {
        /** A continuous archive from a replication slot: point-in-time forks. */
        STREAM,
        /** No archive: forks only to the end of a base backup. */
        NONE
    }

    /** A PgBouncer pool of the service. */
    public record Pool(String name, String database, String user, PoolMode mode, int size) {}

    public enum PoolMode {
        SESSION,
        TRANSACTION,
        STATEMENT
    }
}
