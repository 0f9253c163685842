package io.forkrunner.engine.mariadb;

import io.forkrunner.engine.Archive;
import io.forkrunner.system.ChildProcess;
import io.forkrunner.system.Command;
import io.forkrunner.system.ProcessRunner;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A directory of binary logs streamed from a MariaDB source by {@link MariaDbBinlogStream}, named as on the source
 * ({@code binlog.000001}, ...). The newest may be partial: the stream is still writing it, or was cut off in it. A
 * position is {@code FILE:POS} ({@link BinlogPosition#toString()}), e.g. {@code binlog.000003:883}; the file it names
 * holds it.
 *
 * <p>Only regular files with binlog names count; anything else in the directory (a link the service user planted
 * included) is neither read, measured, nor deleted. Forkrunner may run as root while the service user can write this
 * directory, so no link in it is followed: files are inspected without following links and read by mariadb-binlog run
 * as the service user.
 */
public final class MariaDbBinlogArchive implements Archive {

    /**
     * An event header line of {@code mariadb-binlog --base64-output=decode-rows}:
     * {@code #261201  9:08:39 server id 1  end_log_pos 540 CRC32 0x779a8a0a <tab>Xid = 17}; the time is in
     * mariadb-binlog's time zone (UTC here), to the second.
     */
    private static final Pattern EVENT_HEADER = Pattern.compile(
            "^#([0-9]{6}) +([0-9]{1,2}:[0-9]{2}:[0-9]{2}) +server id +[0-9]+ +end_log_pos +[0-9]+.*?\\t(.*)$");

    private static final DateTimeFormatter HEADER_DATE = DateTimeFormatter.ofPattern("yyMMdd");
    private static final DateTimeFormatter HEADER_TIME = DateTimeFormatter.ofPattern("H:mm:ss");
    private static final Duration READ_TIMEOUT = Duration.ofMinutes(10);

    /** One archived binlog file: its name, path and size when listed. */
    record Archived(BinlogName name, Path path, long size) {}

    private final Path directory;
    private final ProcessRunner runner;
    private final MariaDbBinaries binaries;
    private final TreeMap<Long, Archived> files;

    public MariaDbBinlogArchive(Path directory, ProcessRunner runner, MariaDbBinaries binaries) {
        this.directory = directory;
        this.runner = runner;
        this.binaries = binaries;
        this.files = list(directory);
    }

    /**
     * The binlog files in {@code directory} by sequence number: regular files (not through links) with binlog names.
     * Empty when the directory is missing.
     */
    static TreeMap<Long, Archived> list(Path directory) {
        TreeMap<Long, Archived> found = new TreeMap<>();
        if (!Files.isDirectory(directory, LinkOption.NOFOLLOW_LINKS)) {
            return found;
        }
        try (Stream<Path> entries = Files.list(directory)) {
            for (Path path : (Iterable<Path>) entries::iterator) {
                Optional<BinlogName> name = BinlogName.of(path.getFileName().toString());
                Optional<BasicFileAttributes> attributes = attributes(path);
                if (name.isPresent()
                        && attributes.isPresent()
                        && attributes.get().isRegularFile()) {
                    found.put(
                            name.get().sequence(),
                            new Archived(name.get(), path, attributes.get().size()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the binlog archive " + directory, e);
        }
        return found;
    }

    /** The file's own attributes (a link's, never its target's); empty when it is gone. */
    private static Optional<BasicFileAttributes> attributes(Path path) {
        try {
            return Optional.of(Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the attributes of " + path, e);
        }
    }

    /** The archived files, oldest first. */
    List<Archived> files() {
        return List.copyOf(files.values());
    }

    /** The archived files as absolute paths, oldest first: what {@link BinlogReplay} replays. */
    public List<Path> paths() {
        return files.values().stream().map(each -> each.path().toAbsolutePath()).toList();
    }

    @Override
    public int segmentCount() {
        return files.size();
    }

    @Override
    public long sizeBytes() {
        return files.values().stream().mapToLong(Archived::size).sum();
    }

    @Override
    public Optional<String> oldestSegment() {
        return files.isEmpty()
                ? Optional.empty()
                : Optional.of(files.firstEntry().getValue().name().file());
    }

    @Override
    public Optional<String> newestSegment() {
        return files.isEmpty()
                ? Optional.empty()
                : Optional.of(files.lastEntry().getValue().name().file());
    }

    /** Whether the archive holds the position's file and every file after it up to its newest. */
    @Override
    public boolean continuousFrom(String position) {
        long first = BinlogPosition.parse(position).sequence();
        return files.containsKey(first) && gapsFrom(position).isEmpty();
    }

    /**
     * The binlog files missing from the position's file to the newest archived one, by sequence number, named like the
     * newest. Empty when the archive is empty or ends before the position's file (then nothing lies between them: see
     * {@link #continuousFrom}).
     */
    @Override
    public List<String> gapsFrom(String position) {
        long first = BinlogPosition.parse(position).sequence();
        List<String> missing = new ArrayList<>();
        if (files.isEmpty()) {
            return missing;
        }
        BinlogName newest = files.lastEntry().getValue().name();
        for (long number = first; number <= newest.sequence(); number++) {
            if (!files.containsKey(number)) {
                missing.add(newest.withSequence(number).file());
            }
        }
        return missing;
    }

    /**
     * The commit time of the newest transaction in the archive: the time stamped on the last {@code Xid} event (an
     * InnoDB commit) or {@code COMMIT} query (a non-transactional engine's) of the newest file that has one, read
     * with mariadb-binlog. MariaDB stamps binlog events with whole seconds (the start of the committing statement), so
     * this is exact to the second only: a commit at 09:08:39.900 reads as 09:08:39. A partial newest file is read up
     * to its last complete event.
     */
    @Override
    public Optional<Instant> newestCommit() {
        for (Archived file : files.descendingMap().values()) {
            Optional<Instant> commit = newestCommitIn(file);
            if (commit.isPresent()) {
                return commit;
            }
        }
        return Optional.empty();
    }

    /**
     * Reads {@code file} with {@code mariadb-binlog --base64-output=decode-rows} (headers only, no row images) as the
     * service user, in UTC. Its output goes to a private temporary file and is read line by line, so that a large
     * binlog does not fill memory. mariadb-binlog exits with an error at the end of a partial file: what it printed
     * until then is used.
     */
    private Optional<Instant> newestCommitIn(Archived file) {
        Path output = null;
        try {
            output = Files.createTempFile("forkrunner-binlog", ".txt");
            ChildProcess reader = runner.start(Command.of(
                            binaries.binlog().toString(),
                            "--no-defaults",
                            "--base64-output=decode-rows",
                            file.path().toAbsolutePath().toString())
                    .withEnvironment("TZ", "UTC")
                    .withTimeout(READ_TIMEOUT)
                    .asServiceUser()
                    .loggingTo(output));
            reader.awaitExit();
            try (BufferedReader lines = Files.newBufferedReader(output, StandardCharsets.UTF_8)) {
                return lastCommit(lines);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the archived binlog " + file.path(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        } finally {
            if (output != null) {
                try {
                    Files.deleteIfExists(output);
                } catch (IOException ignored) {
                    // a temporary file of forkrunner's own; the system cleans its temporary directory
                }
            }
        }
    }

    /**
     * The time of the last commit in mariadb-binlog's output: an {@code Xid = N} header, or the header of a query
     * event whose statement is {@code COMMIT} or {@code XA COMMIT}.
     */
    static Optional<Instant> lastCommit(BufferedReader lines) throws IOException {
        Instant newest = null;
        Instant lastHeader = null;
        boolean inQuery = false;
        for (String line = lines.readLine(); line != null; line = lines.readLine()) {
            Matcher header = EVENT_HEADER.matcher(line);
            if (header.matches()) {
                lastHeader = LocalDate.parse(header.group(1), HEADER_DATE)
                        .atTime(LocalTime.parse(header.group(2), HEADER_TIME))
                        .toInstant(ZoneOffset.UTC);
                String event = header.group(3);
                inQuery = event.startsWith("Query");
                if (event.startsWith("Xid = ")) {
                    newest = lastHeader;
                }
            } else if (inQuery && (line.startsWith("COMMIT/*!*/;") || line.startsWith("XA COMMIT "))) {
                newest = lastHeader;
            }
        }
        return Optional.ofNullable(newest);
    }

    /**
     * Removes the archived files older than the position's file; returns how many. Only regular files with binlog
     * names are removed (a link in their place is left alone, never followed); the directory is listed again, so a file
     * the stream wrote since this archive was read is judged as it is now.
     */
    @Override
    public int pruneBefore(String position) {
        long first = BinlogPosition.parse(position).sequence();
        int removed = 0;
        for (Archived file : list(directory).headMap(first).values()) {
            try {
                if (attributes(file.path())
                                .filter(BasicFileAttributes::isRegularFile)
                                .isPresent()
                        && Files.deleteIfExists(file.path())) {
                    removed++;
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot remove the archived binlog " + file.path(), e);
            }
        }
        files.headMap(first).clear();
        return removed;
    }
}
