package io.forkrunner.definition;

import io.forkrunner.system.SecretRef;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * A running data store that forkrunner knows, as declared in {@code config/services.yml}.
 *
 * @param password where the password comes from; null when the server needs none
 * @param pooler the configuration file of the PgBouncer in front of the service, which {@code rename} points at the
 *     new service; null when there is none
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
        Path pooler) {

    public ServiceDefinition {
        Names.require(name, "service");
        Names.require(region, "region");
        Objects.requireNonNull(engine, "engine");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(backups, "backups");
        pools = List.copyOf(pools);
    }

    /**
     * @param every how often {@code serve} takes a base backup; null for only when asked
     * @param keep how many base backups are kept
     */
    public record Backups(Duration every, int keep, Wal wal) {

        public Backups {
            if (keep < 1) {
                throw new IllegalArgumentException("keep must be at least 1");
            }
            Objects.requireNonNull(wal, "wal");
        }
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
