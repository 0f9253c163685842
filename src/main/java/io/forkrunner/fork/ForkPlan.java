package io.forkrunner.fork;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.springframework.batch.core.job.JobExecution;
import tools.jackson.databind.json.JsonMapper;

/**
 * What a run restores, resolved once by the pick-backup step and recorded in the run: a restart reuses it, so the fork
 * is always the one the run first chose.
 *
 * @param version the PostgreSQL major of the fork
 * @param sourceVersion the major of the backup: when the fork's is newer, the restore is logical
 * @param requested the point in time as asked for: {@code latest}, a time, or {@code -DURATION}
 * @param target the recovery target: the newest archived commit for {@code latest}
 * @param backupId the backup restored: forkrunner's, or the name of the Aiven backup a fork on Aiven is made from
 *     ({@code pitr} for one to a point in time)
 * @param backupDirectory where forkrunner keeps the backup; null for a fork made by Aiven
 * @param backupStart where replay from the backup begins
 * @param fromArchive whether replay continues from the WAL archive, or ends at the backup's own end
 * @param server the existing service the fork is made in as a new database; null for a new instance
 * @param database the new database on {@code server}; null without one
 * @param sourceDatabase the source's database copied there; null without a server
 * @param engine the engine the fork is made with when not its source's (an Elasticsearch snapshot restored into
 *     OpenSearch), which restores the backup as it is; null for the source's
 * @param nodes the nodes of the fork's cluster (Cassandra, search); null for as many as the backup's source had
 */
public record ForkPlan(
        String job,
        String source,
        String fork,
        String region,
        int version,
        int sourceVersion,
        String requested,
        Instant target,
        String backupId,
        Path backupDirectory,
        String backupStart,
        boolean fromArchive,
        Instant pickedAt,
        String server,
        String database,
        String sourceDatabase,
        String engine,
        Integer nodes) {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    public ForkPlan {
        Objects.requireNonNull(fork, "fork");
        Objects.requireNonNull(target, "target");
    }

    /** Whether the fork is restored logically: into a newer major than its backup's, or into an existing server. */
    boolean logical() {
        return engine == null && version != sourceVersion || intoServer();
    }

    /** Whether the fork is a new database in an existing server rather than an instance of its own. */
    boolean intoServer() {
        return server != null;
    }

    String toJson() {
        return JSON.writeValueAsString(this);
    }

    static ForkPlan fromJson(String json) {
        return JSON.readValue(json, ForkPlan.class);
    }

    /** The plan a run recorded at pick backup; empty before that step completed. */
    public static Optional<ForkPlan> of(JobExecution execution) {
        return Optional.ofNullable(execution.getExecutionContext().getString(ForkStep.PLAN, null))
                .map(ForkPlan::fromJson);
    }
}
