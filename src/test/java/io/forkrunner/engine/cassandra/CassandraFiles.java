package io.forkrunner.engine.cassandra;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.cql.Row;
import io.forkrunner.engine.Endpoint;
import io.forkrunner.system.Sha256;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** What the Cassandra fork tests compare a fork with its source by: its rows' digest and its nodes' sstables. */
final class CassandraFiles {

    private CassandraFiles() {}

    /** The sstables ({@code -Data.db} files) under {@code root} whose path holds {@code marker}, counted. */
    static long dataFiles(Path root, String marker) throws IOException {
        if (!Files.exists(root)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(file -> file.getFileName().toString().endsWith("-Data.db"))
                    .filter(file -> file.toString().contains(marker))
                    .filter(file -> !file.toString().contains("/snapshots/"))
                    .count();
        }
    }

    /** A SHA-256 over the rows {@code select} reads but the one of id {@code except}, each as text, sorted. */
    static String digest(Endpoint endpoint, String select, int except) {
        List<String> rows = new ArrayList<>();
        try (CassandraCql cql = CassandraCql.open(endpoint)) {
            for (Row row : cql.execute(select)) {
                if (row.getInt("id") != except) {
                    rows.add(row.getFormattedContents());
                }
            }
        }
        rows.sort(null);
        assertThat(rows).isNotEmpty();
        return Sha256.hex(String.join("\n", rows));
    }
}
