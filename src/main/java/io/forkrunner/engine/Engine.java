package io.forkrunner.engine;

import io.forkrunner.definition.ServiceDefinition;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What a data store must do for forkrunner. One adapter per engine; the steps and the backup keeper use this
 * interface, never JDBC or processes directly.
 */
public interface Engine {

    /** The name used in {@code config/services.yml}, e.g. {@code postgresql}. */
    String name();

    Set<Capability> capabilities();

    /**
     * Takes a base backup of the service into {@code directory} (which must not exist), verifies it, and describes
     * it. Output of the tools goes to {@code log}.
     */
    BaseBackup backup(ServiceDefinition service, Endpoint source, Path directory, Path log);

    /**
     * Checks a base backup in {@code directory} against the checksums it was taken with, reading every byte of it. What
     * is wrong, naming the files, or empty when the backup is whole.
     */
    Optional<String> verifyBackup(Path directory);

    /** The process that streams the service's changes into {@code archive}. */
    ArchiveStream archiveStream(ServiceDefinition service, Endpoint source, Path archive, Path log);

    /** The name of the replication slot {@link #archiveStream} keeps on the source for {@code service}. */
    String slotName(String service);

    /** The replication slot named {@code slot} on the source; empty when there is none. */
    Optional<ReplicationSlot> replicationSlot(Endpoint source, String slot);

    /**
     * Drops the replication slot named {@code slot} on the source, first ending the connection that streams from it;
     * nothing when there is no such slot.
     */
    void dropReplicationSlot(Endpoint source, String slot);

    /** The archive in {@code directory} as it is now. */
    Archive archive(Path directory);

    // ---- forks

    /**
     * Lays a base backup down as the data of the instance at {@code place}. Resumable: what was laid down whole is
     * kept, and once {@link #recover} has begun nothing is laid down again. {@code bytesPerSecond} limits the rate; 0
     * for no limit. Returns how it was laid down ("cloned (copy-on-write)", "copied"), or null when recovery had begun
     * and nothing was laid down.
     */
    String layDown(Path backup, Place place, long bytesPerSecond, Progress progress);

    /**
     * Replays the archive over the laid-down backup to {@code target}, starts the fork on a timeline of its own, and
     * makes the subscriptions it carried harmless before anyone else connects. Resumable.
     *
     * @param archive the archive to replay from; null to restore to the end of the backup alone
     * @param backupStart the position where the backup's replay begins
     *
     * @param admin how forkrunner logs in to the fork: the source's login, which the fork carries; one without a
     *     password is given the fork's {@link GeneratedLogin} password before the fork lets anyone connect, and no
     *     login to the fork goes without a password
     */
    Restored recover(Place place, Path archive, String backupStart, Instant target, Endpoint admin, Progress progress);

    /** Whether a server of major {@code version} can run here; the message of what can when not. */
    Optional<String> cannotRun(int version);

    /** Dumps these databases and the roles of the server at {@code source} into {@code directory}. Resumable. */
    void dump(Endpoint source, Path directory, List<String> databases, Checkpoints checkpoints, Progress progress);

    /**
     * Creates and starts an empty instance at {@code place} whose superuser is {@code admin}'s login, with its password
     * or, when it has none, the instance's {@link GeneratedLogin} password; every login asks for a password.
     */
    void initialize(Place place, Endpoint admin);

    /**
     * Loads a dump made by {@link #dump} into the running instance at {@code place}: roles, each database's schema,
     * its tables one by one (each a checkpoint), then its indexes and constraints. Resumable.
     */
    void load(Place place, Endpoint admin, Path dump, Checkpoints checkpoints, Progress progress);

    /**
     * Loads database {@code source} of a dump made by {@link #dump} into the existing server at {@code server} as the
     * new database {@code database}, table by table like {@link #load}. With {@code withRoles} the roles the server
     * lacks are created; those it has are left alone. Resumable.
     */
    NewDatabase loadInto(
            Endpoint server,
            String source,
            String database,
            boolean withRoles,
            Path dump,
            Checkpoints checkpoints,
            Progress progress);

    /** Removes a database a fork made in an existing server, with its connections. */
    void dropDatabase(Endpoint server, String database);

    /** The major version of the server at {@code endpoint}. */
    int majorVersion(Endpoint endpoint);

    /**
     * The source's non-default settings, less host-specific ones (port, addresses, paths, archiving, replication). Read
     * when a backup is taken and recorded with it: a fork run never connects to the source.
     */
    Map<String, String> settings(Endpoint source);

    /**
     * Applies settings read by {@link #settings} on the fork, then restarts it; returns the names its version does not
     * know, which were left out.
     */
    List<String> applySettings(Place place, Map<String, String> settings);

    /** The roles of a server, with digests of their verifiers and their memberships, sorted by name. */
    List<Role> roles(Endpoint endpoint);

    /** Removes the passwords of the server's roles, all but the one {@code admin} logs in with. */
    void removePasswords(Endpoint admin);

    /** Starts (or restarts) a pooler in front of the fork with these pools; it authenticates against the fork's roles. */
    void startPools(Place place, Endpoint admin, Pools pools);

    void stopPools(Place place);

    boolean poolsRunning(Place place);

    /** Runs a SQL file on a database of the fork; output to {@code log}. */
    void runSql(Endpoint endpoint, String database, Path file, Path log);

    /** Whether {@code sql} returns true on the database. */
    boolean check(Endpoint endpoint, String database, String sql);

    /** Reads every table of every database and counts its rows. */
    List<TableCount> tableCounts(Endpoint endpoint);

    /** Reads every table of one database and counts its rows. */
    List<TableCount> tableCounts(Endpoint endpoint, String database);

    /** The extensions installed in each database, as {@code DATABASE.EXTENSION} to version. */
    Map<String, String> extensions(Endpoint endpoint);

    /** Every setting the server knows, with its built-in default. */
    Map<String, String> settingDefaults(Endpoint endpoint);

    /** The databases of a server that accept connections. */
    List<String> databases(Endpoint endpoint);

    // ---- renames

    /**
     * Makes the service refuse writes from now on, then waits up to {@code wait} for the transactions begun before to
     * end; returns its position after the last of them. When they do not end in time, writes are allowed again and
     * the call fails.
     */
    String refuseWrites(Endpoint endpoint, Duration wait, Progress progress);

    /** Undoes {@link #refuseWrites}. */
    void allowWrites(Endpoint endpoint);

    /**
     * Points the pools of the pooler configured by {@code poolerConfig} that lead to {@code from} at {@code to}, and
     * makes the pooler take it up without dropping its clients; returns the names of the pools pointed.
     */
    List<String> repointPools(Path poolerConfig, Endpoint from, Endpoint to);

    /** The names of the pools of the pooler configured by {@code poolerConfig} that lead to {@code endpoint}. */
    List<String> poolsLeadingTo(Path poolerConfig, Endpoint endpoint);

    enum Capability {
        POINT_IN_TIME,
        CROSS_VERSION,
        POOLS
    }
}
