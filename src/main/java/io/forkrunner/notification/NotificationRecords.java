package io.forkrunner.notification;

import java.net.URI;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * The notifications table: one row per (execution, event, url), pending until a receiver answered 2xx. Times of
 * attempts are the metadata store's, so that every node of the cluster agrees on what is due.
 */
@Component
class NotificationRecords {

    private final JdbcClient jdbc;
    private final Clock clock;

    NotificationRecords(JdbcClient jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    /**
     * A pending notification, claimed for one attempt.
     *
     * @param about what it tells of, as logged: {@code run 12} or {@code service shop}
     */
    record Due(long id, String about, String event, URI url, String body, int attempts) {}

    /** Records a notification to send now; false when it was recorded already (it is sent once). */
    boolean record(long executionId, long runId, String job, Event event, URI url, String body) {
        return jdbc.sql("insert into notifications"
                                + " (execution_id, run_id, job, event, url, body, recorded_at, next_attempt_at)"
                                + " values (:execution, :run, :job, :event, :url, :body, :now, now())"
                                + " on conflict (execution_id, event, url) do nothing")
                        .param("execution", executionId)
                        .param("run", runId)
                        .param("job", job)
                        .param("event", event.text())
                        .param("url", url.toString())
                        .param("body", body)
                        .param("now", Timestamp.from(clock.instant()))
                        .update()
                > 0;
    }

    /** Records a notification about a service (no run) to send now. */
    void recordForService(String service, String event, URI url, String body) {
        jdbc.sql("insert into notifications (service, event, url, body, recorded_at, next_attempt_at)"
                        + " values (:service, :event, :url, :body, :now, now())")
                .param("service", service)
                .param("event", event)
                .param("url", url.toString())
                .param("body", body)
                .param("now", Timestamp.from(clock.instant()))
                .update();
    }

    boolean exists(long executionId, Event event, URI url) {
        return jdbc.sql("select count(*) from notifications"
                                + " where execution_id = :execution and event = :event and url = :url")
                        .param("execution", executionId)
                        .param("event", event.text())
                        .param("url", url.toString())
                        .query(Long.class)
                        .single()
                > 0;
    }

    /**
     * The oldest due notification (of {@code runId}, when given), locked until the calling transaction ends; rows
     * another node holds are skipped, so that no attempt is ever made twice. Call inside a transaction.
     */
    Optional<Due> claimNext(Long runId) {
        return jdbc.sql("select id, run_id, service, event, url, body, attempts from notifications"
                        + " where delivered_at is null and next_attempt_at <= now()"
                        + (runId == null ? "" : " and run_id = :run")
                        + " order by next_attempt_at, id limit 1 for update skip locked")
                .params(runId == null ? Map.of() : Map.of("run", runId))
                .query((row, index) -> new Due(
                        row.getLong("id"),
                        row.getObject("run_id") == null
                                ? "service " + row.getString("service")
                                : "run " + row.getLong("run_id"),
                        row.getString("event"),
                        URI.create(row.getString("url")),
                        row.getString("body"),
                        row.getInt("attempts")))
                .optional();
    }

    void delivered(Due due) {
        jdbc.sql("update notifications set attempts = attempts + 1, delivered_at = now(), last_error = null"
                        + " where id = :id")
                .param("id", due.id())
                .update();
    }

    void refused(Due due, String error, Duration retryIn) {
        jdbc.sql("update notifications set attempts = attempts + 1, last_error = :error,"
                        + " next_attempt_at = now() + :millis * interval '1 millisecond' where id = :id")
                .param("id", due.id())
                .param("error", error)
                .param("millis", retryIn.toMillis())
                .update();
    }
}
