package io.forkrunner.engine.postgresql;

import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.OpenTransactions;
import io.forkrunner.engine.Progress;
import io.forkrunner.engine.WriteFence;
import io.forkrunner.system.ForkrunnerException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Makes a server refuse writes: {@code default_transaction_read_only} set by ALTER SYSTEM and reloaded, so that every
 * transaction that begins afterwards is read-only; then waits for the transactions begun before to end. A client that
 * sets {@code default_transaction_read_only} off itself, or begins {@code READ WRITE}, is not stopped by it.
 */
final class PostgresWriteFence implements WriteFence {

    /** Time for every backend to take the reload before its next command. */
    private static final Duration SETTLE = Duration.ofSeconds(1);

    private final PostgresEngine engine;

    PostgresWriteFence(PostgresEngine engine) {
        this.engine = engine;
    }

    @Override
    public String refuse(Endpoint endpoint, Duration wait, Progress progress) {
        try (Connection connection = engine.connect(endpoint, "postgres");
                Statement statement = connection.createStatement()) {
            statement.execute("alter system set default_transaction_read_only = on");
            statement.execute("select pg_reload_conf()");
            OpenTransactions.pause(SETTLE);
            Timestamp refusedAt;
            try (ResultSet row = statement.executeQuery("select clock_timestamp()")) {
                row.next();
                refusedAt = row.getTimestamp(1);
            }
            OpenTransactions.awaitEnd(() -> openBefore(connection, refusedAt), wait, progress, () -> allow(endpoint));
            try (ResultSet row = statement.executeQuery("select pg_current_wal_lsn()::text")) {
                row.next();
                return row.getString(1);
            }
        } catch (SQLException e) {
            allowAfterFailure(endpoint);
            throw new ForkrunnerException("cannot make " + endpoint + " refuse writes: " + e.getMessage(), e);
        }
    }

    @Override
    public void allow(Endpoint endpoint) {
        try (Connection connection = engine.connect(endpoint, "postgres");
                Statement statement = connection.createStatement()) {
            statement.execute("alter system reset default_transaction_read_only");
            statement.execute("select pg_reload_conf()");
        } catch (SQLException e) {
            throw new ForkrunnerException("cannot allow writes on " + endpoint + " again: " + e.getMessage(), e);
        }
    }

    /** The client sessions in a transaction begun before {@code refusedAt}: pid, user, since when. */
    private static List<String> openBefore(Connection connection, Timestamp refusedAt) throws SQLException {
        List<String> open = new ArrayList<>();
        try (PreparedStatement query = connection.prepareStatement("select pid, usename, xact_start from"
                + " pg_stat_activity where backend_type = 'client backend' and pid <> pg_backend_pid()"
                + " and xact_start < ? order by xact_start")) {
            query.setTimestamp(1, refusedAt);
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    open.add("pid " + rows.getInt(1) + " of " + rows.getString(2) + " since "
                            + rows.getTimestamp(3).toInstant());
                }
            }
        }
        return open;
    }
}
