package io.forkrunner.engine.postgresql;

import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.ReplicationSlot;
import io.forkrunner.system.ForkrunnerException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/** Reads and drops forkrunner's physical replication slots on a source. */
final class PostgresSlots {

    private static final Duration DROP_WAIT = Duration.ofSeconds(30);

    private final PostgresEngine engine;

    PostgresSlots(PostgresEngine engine) {
        this.engine = engine;
    }

    Optional<ReplicationSlot> find(Endpoint source, String slot) {
        try (Connection connection = engine.connect(source, "postgres")) {
            return find(connection, slot);
        } catch (SQLException e) {
            throw new ForkrunnerException(
                    "cannot read replication slot " + slot + " on " + source + ": " + e.getMessage(), e);
        }
    }

    private static Optional<ReplicationSlot> find(Connection connection, String slot) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("select active, restart_lsn::text,"
                + " coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn), 0)::bigint"
                + " from pg_replication_slots where slot_name = ?")) {
            statement.setString(1, slot);
            try (ResultSet row = statement.executeQuery()) {
                return row.next()
                        ? Optional.of(new ReplicationSlot(
                                slot, row.getBoolean(1), row.getString(2), Math.max(0, row.getLong(3))))
                        : Optional.empty();
            }
        }
    }

    /** Ends the walsender that holds the slot, then drops it; the walsender may take a moment to let go. */
    void drop(Endpoint source, String slot) {
        Instant deadline = Instant.now().plus(DROP_WAIT);
        try (Connection connection = engine.connect(source, "postgres")) {
            while (true) {
                try (PreparedStatement end = connection.prepareStatement("select pg_terminate_backend(active_pid)"
                                + " from pg_replication_slots where slot_name = ? and active_pid is not null");
                        PreparedStatement drop =
                                connection.prepareStatement("select pg_drop_replication_slot(slot_name)"
                                        + " from pg_replication_slots where slot_name = ? and not active")) {
                    end.setString(1, slot);
                    end.execute();
                    drop.setString(1, slot);
                    drop.execute();
                } catch (SQLException stillHeld) {
                    if (Instant.now().isAfter(deadline)) {
                        throw stillHeld;
                    }
                }
                if (find(connection, slot).isEmpty()) {
                    return;
                }
                if (Instant.now().isAfter(deadline)) {
                    throw new ForkrunnerException("replication slot " + slot + " on " + source
                            + " is still in use after " + DROP_WAIT.toSeconds() + " s; it was not dropped");
                }
                Thread.sleep(200);
            }
        } catch (SQLException e) {
            throw new ForkrunnerException(
                    "cannot drop replication slot " + slot + " on " + source + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ForkrunnerException("interrupted while dropping replication slot " + slot + " on " + source, e);
        }
    }
}
