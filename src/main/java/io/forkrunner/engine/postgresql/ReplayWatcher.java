package io.forkrunner.engine.postgresql;

import io.forkrunner.engine.Progress;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Follows a recovering server's log and reports how many WAL segments it has restored from the archive. Stopping it
 * reads the log a last time, so that a recovery shorter than one poll is reported too.
 */
final class ReplayWatcher {

    private static final long POLL_MILLIS = 500;
    private static final long LAST_READ_MILLIS = 5_000;

    private final Path log;
    private final long total;
    private final Progress progress;
    private final StringBuilder pending = new StringBuilder();
    private volatile boolean running = true;
    private long offset;
    private long restored;
    private Thread thread;

    ReplayWatcher(Path log, long total, Progress progress) {
        this.log = log;
        this.total = total;
        this.progress = progress;
    }

    void start() {
        try {
            offset = Files.exists(log) ? Files.size(log) : 0;
        } catch (IOException e) {
            offset = 0;
        }
        thread = new Thread(this::follow, "replay-watcher");
        thread.setDaemon(true);
        thread.start();
    }

    private void follow() {
        while (true) {
            boolean last = !running;
            readNewLines();
            if (last) {
                return;
            }
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException stopped) {
                // stop() asks for the last read
            }
        }
    }

    private void readNewLines() {
        try (RandomAccessFile file = new RandomAccessFile(log.toFile(), "r")) {
            while (file.length() > offset) {
                file.seek(offset);
                byte[] bytes = new byte[(int) Math.min(file.length() - offset, 1 << 20)];
                file.readFully(bytes);
                offset += bytes.length;
                pending.append(new String(bytes, StandardCharsets.UTF_8));
                int end;
                while ((end = pending.indexOf("\n")) >= 0) {
                    if (pending.substring(0, end).contains("restored log file")) {
                        restored++;
                        progress.report("WAL segments replayed", restored, total);
                    }
                    pending.delete(0, end + 1);
                }
            }
        } catch (IOException notYet) {
            // the server has not written its log yet
        }
    }

    /** Stops following after a last read of the log. */
    void stop() {
        running = false;
        if (thread != null) {
            thread.interrupt();
            try {
                thread.join(LAST_READ_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
