package io.forkrunner.system;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * A PostgreSQL session-level advisory lock in the metadata store, held on a connection of its own for as long as the
 * work it guards runs. When the holding process dies, its connection closes and the lock is free again.
 */
public final class AdvisoryLock implements AutoCloseable {

    private final Connection connection;
    private final String key;

    private AdvisoryLock(Connection connection, String key) {
        this.connection = connection;
        this.key = key;
    }

    /** The lock named {@code key}, or empty when another session holds it. */
    public static Optional<AdvisoryLock> tryAcquire(DataSource dataSource, String key) {
        Connection connection = null;
        try {
            connection = dataSource.getConnection();
            connection.setAutoCommit(true);
            try (PreparedStatement statement =
                    connection.prepareStatement("select pg_try_advisory_lock(hashtextextended(?, 0))")) {
                statement.setString(1, key);
                try (ResultSet row = statement.executeQuery()) {
                    row.next();
                    if (row.getBoolean(1)) {
                        return Optional.of(new AdvisoryLock(connection, key));
                    }
                }
            }
            connection.close();
            return Optional.empty();
        } catch (SQLException e) {
            closeQuietly(connection);
            throw new ForkrunnerException(
                    "cannot take the lock " + key + " in the metadata store: " + e.getMessage(), e);
        }
    }

    public String key() {
        return key;
    }

    @Override
    public void close() {
        try (PreparedStatement statement =
                connection.prepareStatement("select pg_advisory_unlock(hashtextextended(?, 0))")) {
            statement.setString(1, key);
            statement.execute();
        } catch (SQLException e) {
            // closing the connection below ends the session, which frees the lock anyway
        } finally {
            closeQuietly(connection);
        }
    }

    private static void closeQuietly(Connection connection) {
        if (connection == null) {
            return;
        }
        try {
            connection.close();
        } catch (SQLException ignored) {
            // nothing more to release
        }
    }
}
