package io.forkrunner.engine.mariadb;

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
 * Makes a MariaDB server refuse writes: {@code SET GLOBAL read_only = ON}, which itself waits (at most the rename's
 * wait) for statements that are writing and for tables locked by {@code LOCK TABLES}; then waits for the InnoDB
 * transactions begun before to end, committed or rolled back (a statement of theirs that writes after the fence is
 * refused). Users with the {@code READ_ONLY ADMIN} privilege (in 10.11, every user with {@code SUPER}) and replication
 * threads still write: read_only does not stop them. Unlike {@code FLUSH TABLES WITH READ LOCK}, which holds only while
 * its session lasts, read_only stays until the rename ends or is abandoned, also across forkrunner restarts.
 */
final class MariaDbWriteFence implements WriteFence {

    private final MariaDbEngine engine;

    MariaDbWriteFence(MariaDbEngine engine) {
        this.engine = engine;
    }

    @Override
    public String refuse(Endpoint endpoint, Duration wait, Progress progress) {
        try (Connection connection = engine.connect(endpoint, null);
                Statement statement = connection.createStatement()) {
            statement.execute("set session lock_wait_timeout = " + Math.max(1, wait.toSeconds()));
            statement.execute("set global read_only = on");
            Timestamp refusedAt;
            try (ResultSet row = statement.executeQuery("select now()")) {
                row.next();
                refusedAt = row.getTimestamp(1);
            }
            OpenTransactions.awaitEnd(() -> openBefore(connection, refusedAt), wait, progress, () -> allow(endpoint));
            try (ResultSet row = statement.executeQuery("show master status")) {
                if (!row.next()) {
                    return "binary logging off";
                }
                String file = row.getString("File");
                long position = row.getLong("Position");
                try (ResultSet gtid = statement.executeQuery("select @@global.gtid_binlog_pos")) {
                    gtid.next();
                    String at = new BinlogPosition(file, position, gtid.getString(1)).toString();
                    return gtid.getString(1).isEmpty() ? at : at + " (GTID " + gtid.getString(1) + ")";
                }
            }
        } catch (SQLException e) {
            allowAfterFailure(endpoint);
            throw new ForkrunnerException("cannot make " + endpoint + " refuse writes: " + e.getMessage(), e);
        }
    }

    @Override
    public void allow(Endpoint endpoint) {
        try (Connection connection = engine.connect(endpoint, null);
                Statement statement = connection.createStatement()) {
            statement.execute("set global read_only = off");
        } catch (SQLException e) {
            throw new ForkrunnerException("cannot allow writes on " + endpoint + " again: " + e.getMessage(), e);
        }
    }

    /**
     * The InnoDB transactions of other sessions begun by {@code refusedAt} (whole seconds: one begun in that second
     * after the fence is waited for too): thread, user, since when.
     */
    private static List<String> openBefore(Connection connection, Timestamp refusedAt) throws SQLException {
        List<String> open = new ArrayList<>();
        try (PreparedStatement query = connection.prepareStatement("select t.trx_mysql_thread_id, p.user,"
                + " t.trx_started from information_schema.innodb_trx t left join information_schema.processlist p"
                + " on p.id = t.trx_mysql_thread_id where t.trx_mysql_thread_id <> connection_id()"
                + " and t.trx_started <= ? order by t.trx_started")) {
            query.setTimestamp(1, refusedAt);
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    open.add("thread " + rows.getLong(1) + " of " + rows.getString(2) + " since "
                            + rows.getTimestamp(3).toLocalDateTime());
                }
            }
        }
        return open;
    }
}
