package io.forkrunner.engine.cassandra;

import io.forkrunner.system.Command;
import io.forkrunner.system.DirectoryTree;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.ProcessRunner;
import io.forkrunner.system.ServiceUser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Which tables of a backup hold cells written with a TTL of their own ({@code INSERT ... USING TTL}), read from the
 * metadata of their sstables in the backup by the home's {@code SSTableMetadataViewer}, in one child JVM as the service
 * user: the source is not asked. Such rows may expire between the backup and a fork, so their counts are not compared.
 */
final class CassandraWriteTtls {

    private static final String VIEWER = "org.apache.cassandra.tools.SSTableMetadataViewer";
    private static final String DATA = "-Data.db";
    private static final Pattern SSTABLE = Pattern.compile("SSTable: (.+)");
    private static final Pattern TTL_MAX = Pattern.compile("TTL max: (\\d+)");
    /** What the viewer needs of a configuration to read files: no node runs from it. */
    private static final String CONFIG = """
            cluster_name: forkrunner-sstable-metadata
            partitioner: org.apache.cassandra.dht.Murmur3Partitioner
            endpoint_snitch: SimpleSnitch
            commitlog_sync: periodic
            commitlog_sync_period: 10000ms
            commitlog_directory: %1$s/commitlog
            data_file_directories: [%1$s/data]
            saved_caches_directory: %1$s/saved_caches
            hints_directory: %1$s/hints
            """;

    private static final String LOGGING = "<configuration><root level=\"OFF\"/></configuration>\n";

    private CassandraWriteTtls() {}

    /**
     * The tables of {@code tables} (forkrunner's name of each, to the directories of its files in the backup) whose
     * files hold a cell with a TTL, each with the largest TTL in seconds; {@code work} is a directory for the viewer,
     * removed after. Refused when the viewer fails or leaves an sstable unread: no table is taken for one without TTLs
     * unread.
     */
    static Map<String, Long> of(ProcessRunner runner, Map<String, List<Path>> tables, Path work) {
        Map<String, String> tableOf = new LinkedHashMap<>();
        tables.forEach((table, directories) -> {
            for (Path directory : directories) {
                for (Path data : dataFiles(directory)) {
                    String file = data.toAbsolutePath().toString();
                    tableOf.put(file.substring(0, file.length() - DATA.length()), table);
                }
            }
        });
        if (tableOf.isEmpty()) {
            return Map.of();
        }
        ServiceUser user = runner.serviceUser();
        try {
            user.privateDirectory(work);
            Path config = work.resolve("cassandra.yaml");
            user.write(config, CONFIG.formatted(work.toAbsolutePath()));
            Path logging = work.resolve("logback.xml");
            user.write(logging, LOGGING);
            List<String> argv = new ArrayList<>(CassandraNode.tool(
                    List.of(
                            "-Dcassandra.config=" + config.toUri(),
                            "-Dlogback.configurationFile=" + logging.toAbsolutePath(),
                            "-Djava.io.tmpdir=" + work.toAbsolutePath(),
                            "-Dcassandra.storagedir=" + work.toAbsolutePath()),
                    VIEWER));
            tableOf.keySet().forEach(sstable -> argv.add(sstable + DATA));
            String output = runner.run(Command.of(argv).asServiceUser().withTimeout(Duration.ofHours(1)));
            return parse(output, tableOf);
        } finally {
            DirectoryTree.delete(work);
        }
    }

    /** The largest TTL of each table's sstables in the viewer's {@code output}; refused when one was not read. */
    static Map<String, Long> parse(String output, Map<String, String> tableOf) {
        Map<String, Long> ttls = new TreeMap<>();
        Set<String> read = new HashSet<>();
        String current = null; // the sstable whose lines follow
        for (String line : output.lines().toList()) {
            Matcher sstable = SSTABLE.matcher(line);
            Matcher ttl = TTL_MAX.matcher(line);
            if (sstable.matches()) {
                current = sstable.group(1).strip();
            } else if (ttl.lookingAt() && current != null && tableOf.containsKey(current)) {
                read.add(current);
                long seconds = Long.parseLong(ttl.group(1));
                if (seconds > 0) {
                    ttls.merge(tableOf.get(current), seconds, Math::max);
                }
            }
        }
        List<String> unread =
                tableOf.keySet().stream().filter(name -> !read.contains(name)).toList();
        if (!unread.isEmpty()) {
            throw new ForkrunnerException("cannot read the TTLs in the metadata of " + unread.size()
                    + " sstables of the backup, e.g. " + unread.get(0) + DATA);
        }
        return ttls;
    }

    private static List<Path> dataFiles(Path directory) {
        if (!Files.isDirectory(directory, LinkOption.NOFOLLOW_LINKS)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(directory)) {
            return files.filter(file -> file.getFileName().toString().endsWith(DATA)
                            && Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the sstables in " + directory, e);
        }
    }
}
