package io.forkrunner.backup;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.Optional;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/** The metadata store's record of each service's WAL archiver, written by the {@code serve} that runs it. */
@Component
class ArchiverRecords {

    private final JdbcClient jdbc;

    ArchiverRecords(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    void save(ArchiverStatus status) {
        jdbc.sql(
                        "insert into wal_archivers (service, node, pid, state, started_at, restarts, last_error, lag_bytes, updated_at)"
                                + " values (:service, :node, :pid, :state, :started, :restarts, :error, :lag, :updated)"
                                + " on conflict (service) do update set node = excluded.node, pid = excluded.pid,"
                                + " state = excluded.state, started_at = excluded.started_at, restarts = excluded.restarts,"
                                + " last_error = excluded.last_error, lag_bytes = excluded.lag_bytes, updated_at = excluded.updated_at")
                .param("service", status.service())
                .param("node", status.node())
                .param("pid", status.pid())
                .param("state", status.state())
                .param("started", status.startedAt() == null ? null : Timestamp.from(status.startedAt()))
                .param("restarts", status.restarts())
                .param("error", status.lastError())
                .param("lag", status.lagBytes())
                .param("updated", Timestamp.from(status.updatedAt()))
                .update();
    }

    Optional<ArchiverStatus> find(String service) {
        return jdbc.sql("select * from wal_archivers where service = :service")
                .param("service", service)
                .query(ArchiverRecords::status)
                .optional();
    }

    private static ArchiverStatus status(ResultSet row, int index) throws SQLException {
        Timestamp started = row.getTimestamp("started_at");
        return new ArchiverStatus(
                row.getString("service"),
                row.getString("node"),
                (Long) row.getObject("pid"),
                row.getString("state"),
                started == null ? null : started.toInstant(),
                row.getInt("restarts"),
                row.getString("last_error"),
                (Long) row.getObject("lag_bytes"),
                row.getTimestamp("updated_at").toInstant());
    }
}
