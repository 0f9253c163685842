package io.forkrunner.engine.mariadb;

import io.forkrunner.system.ForkrunnerException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Where in the source's binary logs a backup stands: the file, the position after the backup's last transaction, and
 * the GTID position (empty when the source has written no GTID yet). The file name comes from the source: it is only
 * ever compared with the names of archived files, never made into a path.
 */
public record BinlogPosition(String file, long position, String gtid) {

    /** A GTID position: one {@code domain-server-sequence} per domain, comma separated. */
    private static final Pattern GTID = Pattern.compile("([0-9]+-[0-9]+-[0-9]+(,[0-9]+-[0-9]+-[0-9]+)*)?");
    /** The first event after a binlog's 4-byte magic number. */
    static final long FIRST_EVENT = 4;

    public BinlogPosition {
        if (file == null || !isBinlogName(file)) {
            throw new ForkrunnerException(
                    "not a binlog file name: " + file + " (expected a name like binlog.000001, without a directory)");
        }
        if (position < FIRST_EVENT) {
            throw new ForkrunnerException(
                    "not a binlog position: " + position + " (events start at " + FIRST_EVENT + ")");
        }
        gtid = gtid == null ? "" : gtid;
        if (!GTID.matcher(gtid).matches()) {
            throw new ForkrunnerException("not a GTID position: " + gtid + " (expected e.g. 0-1-42 or 0-1-42,1-2-7)");
        }
    }

    /**
     * The position as mariadb-backup records it in {@code xtrabackup_binlog_info}: file, position and GTID separated by
     * tabs (the GTID may be missing).
     */
    static BinlogPosition parse(String text, String where) {
        String line = text.strip();
        String[] fields = line.split("\\s+");
        if (line.isEmpty() || fields.length < 2 || fields.length > 3 || !fields[1].matches("[0-9]{1,18}")) {
            throw new ForkrunnerException(
                    where + " holds no binlog position (expected FILE<tab>POSITION<tab>GTID): " + line);
        }
        return new BinlogPosition(fields[0], Long.parseLong(fields[1]), fields.length == 3 ? fields[2] : "");
    }

    /**
     * A position as the archive names it, {@code FILE:POS} (e.g. {@code binlog.000003:883}, as {@link #toString()}
     * prints it); the GTID is left empty.
     */
    public static BinlogPosition parse(String position) {
        int colon = position == null ? -1 : position.lastIndexOf(':');
        if (colon < 1 || !position.substring(colon + 1).matches("[0-9]{1,18}")) {
            throw new ForkrunnerException(
                    "not a binlog position: " + position + " (expected FILE:POS, e.g. binlog.000003:883)");
        }
        return new BinlogPosition(position.substring(0, colon), Long.parseLong(position.substring(colon + 1)), "");
    }

    /** The file's sequence number ({@code binlog.000003}: 3). */
    long sequence() {
        return BinlogName.of(file).orElseThrow().sequence();
    }

    /** {@code FILE:POS}, as archives and backups record a MariaDB position; {@link #parse(String)} reads it back. */
    @Override
    public String toString() {
        return file + ":" + position;
    }

    static boolean isBinlogName(String name) {
        return BinlogName.of(name).isPresent();
    }

    /**
     * The archived binlog files to replay from this position: the one named {@link #file()} and every later one, by
     * their sequence numbers. Refused when the archive lacks that file: the events right after the backup would be
     * missing.
     */
    public List<Path> from(List<Path> archived) {
        List<Path> ordered = inOrder(archived);
        for (int i = 0; i < ordered.size(); i++) {
            if (ordered.get(i).getFileName().toString().equals(file)) {
                return List.copyOf(ordered.subList(i, ordered.size()));
            }
        }
        throw new ForkrunnerException("the binlog archive lacks " + file + ", where the backup's position " + position
                + " lies; it holds " + ordered.stream().map(Path::getFileName).toList()
                + ". The events after the backup cannot be replayed: take a new backup.");
    }

    /** Binlog files by their sequence numbers (names of six digits sort as text, those after 999999 do not). */
    static List<Path> inOrder(List<Path> files) {
        for (Path each : files) {
            if (!isBinlogName(each.getFileName().toString())) {
                throw new ForkrunnerException("not a binlog file: " + each + " (expected a name like binlog.000001)");
            }
        }
        return files.stream()
                .sorted(Comparator.comparingLong(BinlogPosition::sequence))
                .toList();
    }

    private static long sequence(Path file) {
        return BinlogName.of(file.getFileName().toString()).orElseThrow().sequence();
    }
}
