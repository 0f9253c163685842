package io.forkrunner.run;

import io.forkrunner.system.Node;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/** Fires of a schedule that launched no run, each with its reason. */
@Component
public class SkippedFires {

    private final JdbcClient jdbc;
    private final Clock clock;

    SkippedFires(JdbcClient jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    /** A fire that launched no run. */
    public record SkippedFire(String job, Instant fireTime, String reason, String node, Instant recordedAt) {}

    public void record(String job, Instant fireTime, String reason) {
        jdbc.sql("insert into skipped_fires (job, fire_time, reason, node, recorded_at)"
                        + " values (:job, :fire, :reason, :node, :now)")
                .param("job", job)
                .param("fire", Timestamp.from(fireTime))
                .param("reason", reason)
                .param("node", Node.current())
                .param("now", Timestamp.from(clock.instant()))
                .update();
    }

    public List<SkippedFire> of(String job) {
        return jdbc.sql("select * from skipped_fires where job = :job order by recorded_at")
                .param("job", job)
                .query((row, index) -> new SkippedFire(
                        row.getString("job"),
                        row.getTimestamp("fire_time").toInstant(),
                        row.getString("reason"),
                        row.getString("node"),
                        row.getTimestamp("recorded_at").toInstant()))
                .list();
    }
}
