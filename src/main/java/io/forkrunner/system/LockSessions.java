package io.forkrunner.system;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;
import java.util.Properties;
import org.postgresql.Driver;

/**
 * Where forkrunner takes its locks: each {@link AdvisoryLock} on a session of its own with the metadata store, opened
 * for the lock and ended with it, outside the connection pool. A lock is held for as long as the work it guards (a
 * run, a WAL archiver, a backup), and that work takes connections from the pool: locks held on pooled connections
 * would leave concurrent runs none, and they would wait on each other until the pool gave up. Sessions show as
 * {@code forkrunner-lock} in {@code pg_stat_activity}.
 */
public final class LockSessions {

    private static final Driver DRIVER = new Driver();

    private final String url;
    private final String user;
    private final Secret password;

    /** Sessions with the metadata store at {@code url}, as {@code user}; {@code password} null when it asks none. */
    public LockSessions(String url, String user, Secret password) {
        this.url = url;
        this.user = user;
        this.password = password;
    }

    /** The lock named {@code key}, or empty when another session holds it. */
    public Optional<AdvisoryLock> tryAcquire(String key) {
        return tryAcquire(key, null);
    }

    /**
     * The lock named {@code key}, or empty when another session holds it. With {@code idleTimeout}, the server ends
     * the lock's session (freeing the lock) when its holder stays silent that long: {@link AdvisoryLock#keepAlive()}
     * more often. A process that was paused loses its locks so.
     */
    public Optional<AdvisoryLock> tryAcquire(String key, Duration idleTimeout) {
        Connection session;
        try {
            session = open();
        } catch (SQLException e) {
            throw new ForkrunnerException(
                    "cannot take the lock " + key + " in the metadata store: " + e.getMessage(), e);
        }
        return AdvisoryLock.tryAcquire(session, key, idleTimeout);
    }

    private Connection open() throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", user);
        if (password != null) {
            properties.setProperty("password", password.reveal());
        }
        properties.setProperty("ApplicationName", "forkrunner-lock");
        properties.setProperty("connectTimeout", "30");
        properties.setProperty("socketTimeout", "0");
        Connection session = DRIVER.connect(url, properties);
        if (session == null) {
            throw new SQLException("not a PostgreSQL URL: " + url);
        }
        return session;
    }
}
