package io.forkrunner.engine;

/**
 * The rate limit of one lay-down ({@code runs.copy-rate}): the bytes actually copied are charged, and the copy waits
 * until they are due at that rate. Bytes a resumed lay-down skips cost nothing. Checks for a stop at each charge, so
 * that a stopped run's copy ends between two chunks even without a limit. Shared by the copiers of one lay-down: the
 * wait of one holds the others back.
 */
public class CopyRate {

    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final long bytesPerSecond;
    private final long startedNanos = System.nanoTime();
    private long charged;

    /** {@code bytesPerSecond}: 0 for no limit. */
    public CopyRate(long bytesPerSecond) {
        if (bytesPerSecond < 0) {
            throw new IllegalArgumentException(
                    "a copy rate is 0 (unlimited) or more bytes per second, not " + bytesPerSecond);
        }
        this.bytesPerSecond = bytesPerSecond;
    }

    /** Charges {@code bytes} just copied: waits until they are due. Throws when this thread was asked to stop. */
    public synchronized void charge(long bytes) throws InterruptedException {
        charged += bytes;
        if (bytesPerSecond > 0) {
            long dueAfter = charged / bytesPerSecond * NANOS_PER_SECOND
                    + charged % bytesPerSecond * NANOS_PER_SECOND / bytesPerSecond;
            long wait = startedNanos + dueAfter - System.nanoTime();
            if (wait > 0) {
                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            }
        }
        if (Thread.currentThread().isInterrupted()) {
            throw new InterruptedException();
        }
    }

    /** The bytes charged so far. */
    public synchronized long charged() {
        return charged;
    }
}
