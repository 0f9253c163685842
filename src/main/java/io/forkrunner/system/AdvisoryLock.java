package io.forkrunner.system;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;

/**
 * A PostgreSQL session-level advisory lock in the metadata store, held on a session of its own ({@link LockSessions})
 * for as long as the work it guards runs. When the holding process dies, its session ends and the lock is free again.
 */
public final class AdvisoryLock implements AutoCloseable {

    private final Connection connection;
    private final String key;

    private AdvisoryLock(Connection connection, String key) {
        this.connection = connection;
        this.key = key;
    }

    /** The lock named {@code key} on {@code connection}, a session of its own that the lock ends. */
    static Optional<AdvisoryLock> tryAcquire(Connection connection, String key, Duration idleTimeout) {
        try {
            connection.setAutoCommit(true);
            if (idleTimeout != null) {
                try (Statement statement = connection.createStatement()) {
                    statement.execute("set idle_session_timeout = " + idleTimeout.toMillis());
                }
            }
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

    /** Shows the server that the holder lives; throws when the lock's session is gone (and with it the lock). */
    public void keepAlive() {
        try (Statement statement = connection.createStatement()) {
            statement.execute("select 1");
        } catch (SQLException e) {
            throw new ForkrunnerException("the lock " + key + " was lost: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try (PreparedStatement statement =
                connection.prepareStatement("select pg_advisory_unlock(hashtextextended(?, 0))")) {
            statement.setString(1, key);
            statement.execute();
        } catch (SQLException e) {
            // ending the session below frees the lock anyway; unlocking first frees it before close returns
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
