package io.forkrunner.engine.cassandra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.forkrunner.system.ForkrunnerException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The TTLs of a backup's sstables, as Cassandra 5.0's {@code SSTableMetadataViewer} prints them: each table's largest,
 * and a refusal when an sstable's metadata was not read (no table is taken for one without TTLs unread).
 */
class CassandraWriteTtlsTest {

    private static final String OUTPUT = """
            SSTable: /backups/ring/base/1/nodes/1/t1/nb-1-big
            Partitioner: org.apache.cassandra.dht.Murmur3Partitioner
            TTL min: 0
            TTL max: 0
            SSTable: /backups/ring/base/1/nodes/1/t2/nb-1-big
            TTL min: 0
            TTL max: 3600
            SSTable: /backups/ring/base/1/nodes/2/t2/nb-3-big
            TTL min: 0
            TTL max: 86400
            """;

    @Test
    void eachTableWithACellOfItsOwnTtlWithTheLargestAndNoneForATableWithout() {
        Map<String, String> tables = new LinkedHashMap<>();
        tables.put("/backups/ring/base/1/nodes/1/t1/nb-1-big", "t1");
        tables.put("/backups/ring/base/1/nodes/1/t2/nb-1-big", "t2");
        tables.put("/backups/ring/base/1/nodes/2/t2/nb-3-big", "t2");

        assertThat(CassandraWriteTtls.parse(OUTPUT, tables)).isEqualTo(Map.of("t2", 86400L));
    }

    @Test
    void anSstableWhoseMetadataWasNotReadFailsTheBackup() {
        Map<String, String> tables = new LinkedHashMap<>();
        tables.put("/backups/ring/base/1/nodes/1/t1/nb-1-big", "t1");
        tables.put("/backups/ring/base/1/nodes/3/t1/nb-9-big", "t1");

        assertThatThrownBy(() -> CassandraWriteTtls.parse(OUTPUT, tables))
                .isInstanceOf(ForkrunnerException.class)
                .hasMessage("cannot read the TTLs in the metadata of 1 sstables of the backup, e.g."
                        + " /backups/ring/base/1/nodes/3/t1/nb-9-big-Data.db");
    }
}
