package io.forkrunner.backup;

import io.forkrunner.definition.ServiceDefinition;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/** The metadata store's record of the replication slots forkrunner made, and of the gaps dropping one opened. */
@Component
class SlotRecords {

    private final JdbcClient jdbc;

    SlotRecords(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** A slot forkrunner made: where it lies and how to log in there (the password's reference, never its value). */
    record MadeSlot(
            String service, String slot, String engine, String host, int port, String user, String passwordRef) {}

    void made(ServiceDefinition service, String slot, Instant at) {
        jdbc.sql("insert into replication_slots (service, slot, engine, host, port, username, password_ref, created_at)"
                        + " values (:service, :slot, :engine, :host, :port, :user, :password, :at)"
                        + " on conflict (service) do update set slot = excluded.slot, engine = excluded.engine,"
                        + " host = excluded.host, port = excluded.port, username = excluded.username,"
                        + " password_ref = excluded.password_ref")
                .param("service", service.name())
                .param("slot", slot)
                .param("engine", service.engine())
                .param("host", service.host())
                .param("port", service.port())
                .param("user", service.user())
                .param(
                        "password",
                        service.password() == null ? null : service.password().toString())
                .param("at", Timestamp.from(at))
                .update();
    }

    List<MadeSlot> made() {
        return jdbc.sql("select * from replication_slots order by service")
                .query((row, index) -> new MadeSlot(
                        row.getString("service"),
                        row.getString("slot"),
                        row.getString("engine"),
                        row.getString("host"),
                        row.getInt("port"),
                        row.getString("username"),
                        row.getString("password_ref")))
                .list();
    }

    void dropped(String service) {
        jdbc.sql("delete from replication_slots where service = :service")
                .param("service", service)
                .update();
    }

    void gapOpened(String service, Instant from, String fromPosition, long retainedBytes, Instant at) {
        jdbc.sql("insert into wal_gaps (service, from_time, from_lsn, retained_bytes, recorded_at)"
                        + " values (:service, :from, :position, :retained, :at)")
                .param("service", service)
                .param("from", Timestamp.from(from))
                .param("position", fromPosition)
                .param("retained", retainedBytes)
                .param("at", Timestamp.from(at))
                .update();
    }

    /** Ends the service's open gaps where the fresh base backup ended. */
    void gapsClosed(String service, Instant to, String toPosition) {
        jdbc.sql("update wal_gaps set to_time = :to, to_lsn = :position where service = :service and to_time is null")
                .param("to", Timestamp.from(to))
                .param("position", toPosition)
                .param("service", service)
                .update();
    }

    /** The service's gaps, oldest first. */
    List<WalGap> gaps(String service) {
        return jdbc.sql("select * from wal_gaps where service = :service order by from_time, id")
                .param("service", service)
                .query(SlotRecords::gap)
                .list();
    }

    private static WalGap gap(ResultSet row, int index) throws SQLException {
        Timestamp to = row.getTimestamp("to_time");
        return new WalGap(
                row.getLong("id"),
                row.getString("service"),
                row.getTimestamp("from_time").toInstant(),
                row.getString("from_lsn"),
                to == null ? null : to.toInstant(),
                row.getString("to_lsn"),
                row.getLong("retained_bytes"));
    }
}
