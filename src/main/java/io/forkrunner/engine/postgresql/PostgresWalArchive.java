package io.forkrunner.engine.postgresql;

import io.forkrunner.engine.Archive;
import io.forkrunner.system.ChildProcess;
import io.forkrunner.system.Command;
import io.forkrunner.system.DirectoryTree;
import io.forkrunner.system.ProcessRunner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.temporal.ChronoField;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** A directory of WAL segments written by pg_receivewal. */
final class PostgresWalArchive implements Archive {

    static final long DEFAULT_SEGMENT_SIZE = 16L * 1024 * 1024;
    private static final Pattern COMMIT =
            Pattern.compile("desc: COMMIT (\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d(?:\\.\\d+)?) UTC");
    private static final DateTimeFormatter WALDUMP_TIME = new DateTimeFormatterBuilder()
            .appendPattern("yyyy-MM-dd HH:mm:ss")
            .optionalStart()
            .appendFraction(ChronoField.NANO_OF_SECOND, 0, 9, true)
            .optionalEnd()
            .toFormatter();

    private final Path directory;
    private final ProcessRunner runner;
    private final PostgresBinaries binaries;
    private final long segmentSize;
    /** The newest segment for each number: a complete one wins over a partial one, a later timeline over an earlier. */
    private final TreeMap<Long, WalSegment> segments = new TreeMap<>();

    PostgresWalArchive(Path directory, ProcessRunner runner, PostgresBinaries binaries) {
        this.directory = directory;
        this.runner = runner;
        this.binaries = binaries;
        this.segmentSize = DEFAULT_SEGMENT_SIZE;
        for (WalSegment segment : list()) {
            segments.merge(segment.number(), segment, PostgresWalArchive::preferred);
        }
    }

    private static WalSegment preferred(WalSegment a, WalSegment b) {
        if (a.timeline() != b.timeline()) {
            return a.timeline() > b.timeline() ? a : b;
        }
        return a.partial() ? b : a;
    }

    private List<WalSegment> list() {
        if (!Files.isDirectory(directory)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(directory)) {
            return files.map(path -> WalSegment.of(path, segmentSize))
                    .flatMap(Optional::stream)
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the WAL archive " + directory, e);
        }
    }

    @Override
    public int segmentCount() {
        return segments.size();
    }

    @Override
    public long sizeBytes() {
        return Files.isDirectory(directory) ? DirectoryTree.size(directory) : 0;
    }

    @Override
    public Optional<String> oldestSegment() {
        return segments.isEmpty()
                ? Optional.empty()
                : Optional.of(fileName(segments.firstEntry().getValue()));
    }

    @Override
    public Optional<String> newestSegment() {
        return segments.isEmpty()
                ? Optional.empty()
                : Optional.of(fileName(segments.lastEntry().getValue()));
    }

    private static String fileName(WalSegment segment) {
        return segment.path().getFileName().toString();
    }

    @Override
    public boolean continuousFrom(String position) {
        return !segments.isEmpty() && gapsFrom(position).isEmpty();
    }

    @Override
    public List<String> gapsFrom(String position) {
        long first = Lsn.parse(position).segment(segmentSize);
        List<String> missing = new ArrayList<>();
        if (segments.isEmpty()) {
            return missing;
        }
        int timeline = segments.lastEntry().getValue().timeline();
        for (long number = first; number <= segments.lastKey(); number++) {
            if (!segments.containsKey(number)) {
                missing.add(WalSegment.name(timeline, number, segmentSize));
            }
        }
        return missing;
    }

    /** The newest commit: segments are read from the newest back until one holds a commit. */
    @Override
    public Optional<Instant> newestCommit() {
        for (WalSegment segment : segments.descendingMap().values()) {
            Optional<Instant> commit = newestCommitIn(segment);
            if (commit.isPresent()) {
                return commit;
            }
        }
        return Optional.empty();
    }

    /**
     * Reads the segment with pg_waldump. A partial segment is offered under its full name, as recovery will see it;
     * pg_waldump stops with an error at the end of the valid records, which is where the archive ends.
     */
    private Optional<Instant> newestCommitIn(WalSegment segment) {
        Path scratch = null;
        try {
            scratch = Files.createTempDirectory("forkrunner-waldump");
            Path offered = scratch.resolve(segment.name(segmentSize));
            Files.createSymbolicLink(offered, segment.path().toAbsolutePath());
            ChildProcess waldump = runner.start(Command.of(
                            binaries.path("pg_waldump"),
                            "--rmgr=Transaction",
                            "--path=" + scratch,
                            offered.getFileName().toString())
                    .withTimeout(Duration.ofMinutes(2)));
            waldump.awaitExit();
            Instant newest = null;
            Matcher matcher = COMMIT.matcher(waldump.stdout());
            while (matcher.find()) {
                newest = LocalDateTime.parse(matcher.group(1), WALDUMP_TIME).toInstant(ZoneOffset.UTC);
            }
            return Optional.ofNullable(newest);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read WAL segment " + segment.path(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        } finally {
            if (scratch != null) {
                DirectoryTree.delete(scratch);
            }
        }
    }

    @Override
    public int pruneBefore(String position) {
        long first = Lsn.parse(position).segment(segmentSize);
        int removed = 0;
        for (WalSegment segment : list()) {
            if (segment.number() < first) {
                try {
                    Files.deleteIfExists(segment.path());
                    removed++;
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot remove " + segment.path(), e);
                }
            }
        }
        segments.headMap(first).clear();
        return removed;
    }
}
