package io.forkrunner.engine.cassandra;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** A fork's rows against the counts its backup recorded. */
class CassandraRestoreTest {

    private static JsonNode table(String json) {
        return CassandraBackups.JSON.readTree(json);
    }

    @Test
    void aTableWithFewerOrMoreRowsThanItsSourceHeldAtTheBackupIsADifferenceNamingBothCounts() {
        JsonNode counted = table("{\"keyspace\": \"shop\", \"table\": \"orders\", \"id\": \"x\", \"rows\": 3000}");

        assertThat(CassandraRestore.rowsDiffer(counted, 3000)).isEmpty();
        assertThat(CassandraRestore.rowsDiffer(counted, 2999))
                .contains("table shop.orders holds 2999 rows, and its source held 3000 when the backup was taken");
        assertThat(CassandraRestore.rowsDiffer(counted, 3001)).isPresent();
        assertThat(CassandraRestore.rowsDiffer(counted, 0)).isPresent();
    }

    @Test
    void aTableTheBackupCouldNotCountIsNoDifference() {
        JsonNode uncounted = table("{\"keyspace\": \"shop\", \"table\": \"orders\", \"id\": \"x\","
                + " \"rows_uncounted\": \"12 writes reached it during the backup\"}");

        assertThat(CassandraRestore.rowsDiffer(uncounted, 7)).isEmpty();
    }
}
