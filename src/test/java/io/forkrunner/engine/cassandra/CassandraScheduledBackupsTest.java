package io.forkrunner.engine.cassandra;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestHome;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code backups.every} of a Cassandra service under {@code serve}: a backup of every node each interval, verified,
 * and the oldest beyond {@code keep} deleted from the backup store, which forkrunner made.
 */
class CassandraScheduledBackupsTest {

    @Test
    void serveBacksUpEveryIntervalAndKeepsTheNewestTwo() throws Exception {
        try (TestHome home = TestHome.create("cassandra-every");
                CassandraTestSource source = CassandraTestSource.start(home, "ring", 1)) {
            try (CassandraCql cql = CassandraCql.open(source.admin())) {
                cql.execute("CREATE KEYSPACE shop WITH replication = {'class': 'SimpleStrategy',"
                        + " 'replication_factor': 1}");
                cql.execute("CREATE TABLE shop.items (id int PRIMARY KEY, name text)");
                cql.execute("INSERT INTO shop.items (id, name) VALUES (1, 'kept')");
            }
            home.declareServices(Ports.range(5), source.serviceYaml("ring", "eu-local", "{ keep: 2, every: 2s }"));
            TestHome.PrunedBackups pruned = home.serveUntilPruned("ring");
            List<String> kept = pruned.kept();
            String first = pruned.first();
            assertThat(kept).doesNotContain(first);
            assertThat(home.path("var/backups/ring/base").resolve(first)).doesNotExist();
            for (String backup : kept) {
                assertThat(home.path("var/backups/ring/base").resolve(backup).resolve(CassandraBackups.RECORD))
                        .isRegularFile();
            }
        }
    }
}
