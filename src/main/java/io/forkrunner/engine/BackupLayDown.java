package io.forkrunner.engine;

import io.forkrunner.system.Command;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.ProcessFailedException;
import io.forkrunner.system.ProcessRunner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lays a base backup down as a data directory, the fastest way the file systems allow. Where the backup and the data
 * directory are on one file system that clones files (XFS with reflink, btrfs), every file is cloned: copy-on-write, so
 * the time no longer grows with the size, and a write on the fork never reaches the backup's blocks. Otherwise the
 * files are copied, several at once and large ones in ranges, with one file-system sync at the end. Resumable: a file
 * already there with the backup's size was laid down whole and is kept; a large file is copied under a temporary name
 * and renamed once whole, so its size never says whole too early.
 */
public final class BackupLayDown {

    /** How a backup was laid down, as the run reports it. */
    public enum Way {
        CLONED("cloned (copy-on-write)"),
        COPIED("copied");

        private final String description;

        Way(String description) {
            this.description = description;
        }

        public String description() {
            return description;
        }
    }

    private static final Logger log = LoggerFactory.getLogger(BackupLayDown.class);
    private static final long REPORT_EVERY_BYTES = 8L * 1024 * 1024;
    private static final long CHUNK_BYTES = 1024 * 1024;
    /** Files larger than this are copied in ranges of this size, several at once. */
    static final long RANGE_BYTES = 64L * 1024 * 1024;
    /** A large file while its ranges are copied; renamed to its own name once whole. */
    static final String PART_SUFFIX = ".forkrunner-part";

    private static final int COPIERS =
            Math.max(2, Math.min(8, Runtime.getRuntime().availableProcessors()));
    /** Pieces under way at once: enough to keep every copier busy. */
    private static final int WINDOW = 2 * COPIERS;

    private static final String PROBE = "clone-probe";

    private final ProcessRunner runner;

    public BackupLayDown(ProcessRunner runner) {
        this.runner = runner;
    }

    /**
     * Lays {@code backup} down as {@code data}, a directory in {@code place} (the instance's own directory, which the
     * service user owns). {@code rate} is charged for the bytes copied; cloning copies none.
     */
    public Way layDown(Path backup, Path data, Path place, CopyRate rate, Progress progress) {
        List<Path> files;
        try (Stream<Path> tree = Files.walk(backup)) {
            files = tree.sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the backup " + backup, e);
        }
        long total = files.stream()
                .filter(Files::isRegularFile)
                .mapToLong(path -> path.toFile().length())
                .sum();
        Path probeFile = files.stream().filter(Files::isRegularFile).findFirst().orElse(null);
        if (probeFile != null && canClone(probeFile, place)) {
            clone(backup, data);
            progress.report("bytes laid down", total, total);
            log.info("cloned the backup {} into {} (copy-on-write)", backup.getFileName(), data);
            return Way.CLONED;
        }
        requireSpace(backup, files, data, place);
        copy(backup, files, data, total, rate, progress);
        sync(data);
        progress.report("bytes laid down", total, total);
        return Way.COPIED;
    }

    /**
     * Whether a file of the backup can be cloned into {@code place}: tried on {@code file}, one of the backup's, by the
     * service user, never assumed from the file system's name.
     */
    private boolean canClone(Path file, Path place) {
        Path probe = place.resolve(PROBE);
        try {
            runner.run(Command.of(
                            "cp", "--reflink=always", "--remove-destination", "--", file.toString(), probe.toString())
                    .asServiceUser()
                    .withTimeout(Duration.ofMinutes(1)));
            return true;
        } catch (ProcessFailedException e) {
            log.info("the backup's file system cannot clone into {} ({}): copying", place, e.getMessage());
            return false;
        } finally {
            try {
                Files.deleteIfExists(probe);
            } catch (IOException e) {
                log.warn("cannot remove {}: {}", probe, e.getMessage());
            }
        }
    }

    /**
     * Clones the whole backup into {@code data} by the service user, in one {@code cp}: it writes only where that user
     * may, and files already there (from a lay-down that was stopped) are replaced, never written through.
     */
    private void clone(Path backup, Path data) {
        runner.serviceUser().privateDirectory(data);
        try {
            runner.run(Command.of(
                            "cp",
                            "--recursive",
                            "--no-dereference",
                            "--reflink=always",
                            "--preserve=mode,timestamps",
                            "--remove-destination",
                            "--",
                            backup + "/.",
                            data.toString())
                    .asServiceUser()
                    .withTimeout(Duration.ofHours(1)));
        } catch (ProcessFailedException e) {
            throw new ForkrunnerException(
                    "cannot clone the backup " + backup + " into " + data + ": " + e.getMessage(), e);
        }
    }

    /** Refuses, before copying anything, a lay-down the file system has no room for. */
    private static void requireSpace(Path backup, List<Path> files, Path data, Path place) {
        long needed = 0;
        for (Path source : files) {
            Path target = data.resolve(backup.relativize(source).toString());
            if (Files.isRegularFile(source) && !laidDown(source, target)) {
                needed += source.toFile().length()
                        - (Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)
                                ? target.toFile().length()
                                : 0);
            }
        }
        long available;
        try {
            available = Files.getFileStore(place).getUsableSpace();
        } catch (IOException e) {
            throw new ForkrunnerException("cannot tell the free space of " + place + ": " + reason(e), e);
        }
        if (needed > available) {
            throw new ForkrunnerException("no space left on device for the backup " + backup.getFileName() + " in "
                    + data + ": laying it down needs " + needed + " bytes more, the file system has " + available
                    + " bytes available. Free space there, or give the region a root with more room, then restart"
                    + " the run");
        }
    }

    /**
     * Copies every file not laid down yet, several at once, large ones in ranges; reports the bytes done. At most
     * {@link #WINDOW} pieces are under way at any time, and the oldest is waited for before another starts: progress is
     * reported as pieces end, and a stop leaves little copied past the last report.
     */
    private static void copy(Path backup, List<Path> files, Path data, long total, CopyRate rate, Progress progress) {
        ExecutorService copiers = Executors.newFixedThreadPool(COPIERS, work -> {
            Thread thread = new Thread(work, "lay-down");
            thread.setDaemon(true);
            return thread;
        });
        Copying copying = new Copying(copiers, total, progress);
        try {
            for (Path source : files) {
                Path target = data.resolve(backup.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    if (Files.isSymbolicLink(target)) { // the service user's, not the backup's: replaced
                        Files.delete(target);
                    }
                    Files.createDirectories(target);
                    continue;
                }
                long size = source.toFile().length();
                if (laidDown(source, target)) {
                    copying.done.addAndGet(size);
                } else if (size <= RANGE_BYTES) {
                    copying.start(() -> {
                        copyWhole(source, target, rate);
                        copying.done.addAndGet(size);
                    });
                } else {
                    copyInRanges(source, target, size, copying, rate);
                }
            }
            copying.finish();
        } catch (IOException e) {
            throw new ForkrunnerException("cannot lay the backup " + backup + " down in " + data + ": " + reason(e), e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof InterruptedException || cause instanceof ClosedByInterruptException) {
                throw stopped(cause);
            }
            if (cause instanceof IOException failed) {
                throw new ForkrunnerException(
                        "cannot lay the backup " + backup + " down in " + data + ": " + reason(failed), failed);
            }
            throw new ForkrunnerException("cannot lay the backup " + backup + " down in " + data + ": " + cause, cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw stopped(e);
        } finally {
            copying.pieces.forEach(piece -> piece.cancel(true));
            copiers.shutdownNow();
            awaitCopiers(copiers);
        }
    }

    /** One piece of copying: a whole file or one range of a large one. */
    @FunctionalInterface
    private interface Piece {
        void copy() throws IOException, InterruptedException;
    }

    /** The pieces under way, oldest first, and the bytes laid down so far. */
    private static final class Copying {
        final ArrayDeque<Future<?>> pieces = new ArrayDeque<>();
        final AtomicLong done = new AtomicLong();
        private final ExecutorService copiers;
        private final long total;
        private final Progress progress;
        private long reported;

        Copying(ExecutorService copiers, long total, Progress progress) {
            this.copiers = copiers;
            this.total = total;
            this.progress = progress;
        }

        /** Starts a piece once fewer than {@link #WINDOW} are under way. */
        void start(Piece piece) throws ExecutionException, InterruptedException {
            while (pieces.size() >= WINDOW) {
                awaitOldest();
            }
            pieces.add(copiers.submit(() -> {
                piece.copy();
                return null;
            }));
        }

        void finish() throws ExecutionException, InterruptedException {
            while (!pieces.isEmpty()) {
                awaitOldest();
            }
        }

        private void awaitOldest() throws ExecutionException, InterruptedException {
            pieces.peek().get();
            pieces.remove();
            if (done.get() - reported >= REPORT_EVERY_BYTES) {
                reported = done.get();
                progress.report("bytes laid down", reported, total);
            }
        }
    }

    private static ForkrunnerException stopped(Throwable cause) {
        return new ForkrunnerException("laying the backup down was stopped", cause);
    }

    /** Waits until no copier writes any more: a stopped lay-down leaves nothing running behind it. */
    private static void awaitCopiers(ExecutorService copiers) {
        boolean interrupted = Thread.interrupted();
        try {
            while (!copiers.awaitTermination(1, TimeUnit.MINUTES)) {
                log.warn("copiers of a stopped lay-down are still finishing");
            }
        } catch (InterruptedException e) {
            interrupted = true;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    static boolean laidDown(Path source, Path target) {
        return Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)
                && target.toFile().length() == source.toFile().length();
    }

    /** Copies one file whole, in chunks, each charged to {@code rate}; never through a link planted where it goes. */
    private static void copyWhole(Path source, Path target, CopyRate rate) throws IOException, InterruptedException {
        Files.deleteIfExists(target);
        try (FileChannel in = FileChannel.open(source, StandardOpenOption.READ);
                FileChannel out = FileChannel.open(
                        target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
            copyRange(in, out, 0, in.size(), target, rate);
        }
        keepAttributes(source, target);
    }

    /**
     * Copies a large file as ranges done by several copiers into {@code NAME.forkrunner-part}, which the copier of the
     * last range renames to {@code NAME}.
     */
    private static void copyInRanges(Path source, Path target, long size, Copying copying, CopyRate rate)
            throws IOException, ExecutionException, InterruptedException {
        Path part = target.resolveSibling(target.getFileName() + PART_SUFFIX);
        Files.deleteIfExists(target);
        Files.deleteIfExists(part);
        try (FileChannel ignored = FileChannel.open(
                part, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
            // made empty here, before any range writes into it
        }
        long ranges = (size + RANGE_BYTES - 1) / RANGE_BYTES;
        AtomicLong left = new AtomicLong(ranges);
        for (long range = 0; range < ranges; range++) {
            long start = range * RANGE_BYTES;
            long length = Math.min(RANGE_BYTES, size - start);
            copying.start(() -> {
                try (FileChannel in = FileChannel.open(source, StandardOpenOption.READ);
                        FileChannel out = FileChannel.open(part, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
                    copyRange(in, out, start, length, part, rate);
                }
                copying.done.addAndGet(length);
                if (left.decrementAndGet() == 0) {
                    keepAttributes(source, part);
                    Files.move(part, target, StandardCopyOption.ATOMIC_MOVE);
                }
            });
        }
    }

    private static void copyRange(FileChannel in, FileChannel out, long start, long length, Path target, CopyRate rate)
            throws IOException, InterruptedException {
        try {
            long position = start;
            long end = start + length;
            out.position(start);
            while (position < end) {
                long copied = in.transferTo(position, Math.min(CHUNK_BYTES, end - position), out);
                if (copied <= 0) {
                    break; // the source shrank: the size check of a resumed lay-down copies it again
                }
                position += copied;
                rate.charge(copied);
            }
        } catch (ClosedByInterruptException | FileSystemException e) {
            throw e;
        } catch (IOException e) {
            // a failed write names no file: name the one being written
            FileSystemException named = new FileSystemException(target.toString(), null, e.getMessage());
            named.initCause(e);
            throw named;
        }
    }

    /** The source's mode and modification time on {@code target}; a link in its place is changed, never followed. */
    private static void keepAttributes(Path source, Path target) throws IOException {
        PosixFileAttributeView view =
                Files.getFileAttributeView(target, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
        view.setPermissions(Files.getPosixFilePermissions(source));
        view.setTimes(Files.getLastModifiedTime(source), null, null);
    }

    /** One sync of the data directory's file system once everything is copied, rather than one per file. */
    private void sync(Path data) {
        runner.run(Command.of("sync", "--file-system", "--", data.toString()).withTimeout(Duration.ofHours(1)));
    }

    /** An I/O failure as a person reads it: what went wrong and the file, e.g. no space left on device: PATH. */
    static String reason(IOException e) {
        if (e instanceof FileSystemException failed && failed.getReason() != null) {
            String why = failed.getReason();
            why = why.isEmpty() ? why : Character.toLowerCase(why.charAt(0)) + why.substring(1);
            return failed.getFile() == null ? why : why + ": " + failed.getFile();
        }
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }
}
