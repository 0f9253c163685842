package io.forkrunner.engine;

import io.forkrunner.system.ForkrunnerException;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;

/** What a {@link WriteFence} waits for once writes are refused: the transactions begun before, to end. */
public final class OpenTransactions {

    private static final Duration POLL = Duration.ofMillis(500);

    /** The transactions still open, each described for the operator (who, since when). */
    @FunctionalInterface
    public interface Query {
        List<String> open() throws SQLException;
    }

    private OpenTransactions() {}

    /**
     * Waits up to {@code wait} for {@code query} to find none, reporting how many are left; when some are still open
     * then, runs {@code allow} (writes are allowed again) and fails naming them.
     */
    public static void awaitEnd(Query query, Duration wait, Progress progress, Runnable allow) throws SQLException {
        long deadline = System.nanoTime() + wait.toNanos();
        List<String> open = query.open();
        while (!open.isEmpty()) {
            if (System.nanoTime() > deadline) {
                allow.run();
                throw new ForkrunnerException(open.size() + " transaction(s) begun before writes were refused are"
                        + " still open after " + wait.toSeconds() + " s: " + String.join("; ", open)
                        + ". Writes are allowed again and nothing was changed: end them, or wait longer (--wait)");
            }
            progress.report("transactions begun before writes were refused, still open", open.size(), 0);
            pause(POLL);
            open = query.open();
        }
    }

    /** Waits {@code duration}, as a fence does for a setting to reach every session. */
    public static void pause(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ForkrunnerException("interrupted while waiting for open transactions to end");
        }
    }
}
