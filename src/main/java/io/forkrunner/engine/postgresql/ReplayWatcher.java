package io.forkrunner.engine.postgresql;

import io.forkrunner.engine.Progress;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Follows a recovering server's log and reports how many WAL segments it has restored from the archive. */
final class ReplayWatcher {

    private final Path log;
    private final long total;
    private final Progress progress;
    private volatile boolean running = true;
    private Thread thread;

    ReplayWatcher(Path log, long total, Progress progress) {
        this.log = log;
        this.total = total;
        this.progress = progress;
    }

    void start() {
        long from;
        try {
            from = Files.exists(log) ? Files.size(log) : 0;
        } catch (IOException e) {
            from = 0;
        }
        long offset = from;
        thread = new Thread(() -> follow(offset), "replay-watcher");
        thread.setDaemon(true);
        thread.start();
    }

    private void follow(long offset) {
        long restored = 0;
        StringBuilder pending = new StringBuilder();
        while (running) {
            try (RandomAccessFile file = new RandomAccessFile(log.toFile(), "r")) {
                if (file.length() > offset) {
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
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    void stop() {
        running = false;
        if (thread != null) {
            thread.interrupt();
        }
    }
}
