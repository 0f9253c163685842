package io.forkrunner.engine.cassandra;

import com.datastax.oss.driver.api.core.cql.Row;
import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.Place;
import io.forkrunner.engine.ServerSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A Cassandra cluster's configuration, as its operators tune it: the tunable settings ({@link #TUNABLES}) that
 * {@code system_views.settings} shows on the node a backup comes in through. Addresses, ports, directories, tokens,
 * seeds, security and the snitch are the host's and never copied. A fork keeps in each node's {@code cassandra.yaml}
 * those that differ from its own, and its nodes are restarted one after another to take them.
 */
final class CassandraSettings implements ServerSettings {

    /** The settings copied to forks, by their names in Cassandra 5: none names a host, a port, a path or a secret. */
    static final Set<String> TUNABLES = Set.of(
            "batch_size_fail_threshold",
            "batch_size_warn_threshold",
            "cas_contention_timeout",
            "column_index_cache_size",
            "column_index_size",
            "compaction_throughput",
            "concurrent_compactors",
            "concurrent_counter_writes",
            "concurrent_materialized_view_writes",
            "concurrent_reads",
            "concurrent_writes",
            "counter_write_request_timeout",
            "gc_log_threshold",
            "gc_warn_threshold",
            "hinted_handoff_enabled",
            "max_hint_window",
            "range_request_timeout",
            "read_request_timeout",
            "request_timeout",
            "slow_query_log_timeout",
            "stream_throughput_outbound",
            "tombstone_failure_threshold",
            "tombstone_warn_threshold",
            "truncate_request_timeout",
            "write_request_timeout");

    private final CassandraEngine engine;

    CassandraSettings(CassandraEngine engine) {
        this.engine = engine;
    }

    @Override
    public Map<String, String> read(Endpoint source) {
        try (CassandraCql cql = CassandraCql.open(source)) {
            return tunables(cql);
        }
    }

    /**
     * Writes the settings that differ from the fork's into each node's configuration and restarts the nodes one after
     * another; nothing when none differs. Returns those this Cassandra does not know.
     */
    @Override
    public List<String> apply(Place place, Endpoint admin, Map<String, String> settings) {
        CassandraCluster cluster = CassandraCluster.at(engine, place);
        Map<String, String> differing = new TreeMap<>();
        List<String> unknown = new ArrayList<>();
        try (CassandraCql cql = CassandraCql.open(cluster.endpoint(admin))) {
            Map<String, String> own = tunables(cql);
            settings.forEach((name, value) -> {
                if (!own.containsKey(name)) {
                    unknown.add(name);
                } else if (!own.get(name).equals(value)) {
                    differing.put(name, value);
                }
            });
        }
        if (!differing.isEmpty()) {
            cluster.reconfigure(differing);
        }
        return unknown;
    }

    /** What the cluster's node shows of {@link #TUNABLES}, with a value. */
    private static Map<String, String> tunables(CassandraCql cql) {
        Map<String, String> found = new TreeMap<>();
        for (Row row : cql.execute("SELECT name, value FROM system_views.settings")) {
            String value = row.getString("value");
            if (TUNABLES.contains(row.getString("name")) && value != null) {
                found.put(row.getString("name"), value);
            }
        }
        return found;
    }

    /** Every tunable setting with the value the node at {@code endpoint} shows. */
    @Override
    public Map<String, String> defaults(Endpoint endpoint) {
        try (CassandraCql cql = CassandraCql.open(endpoint)) {
            return tunables(cql);
        }
    }
}
