package io.forkrunner.fork;

import io.forkrunner.engine.Role;
import io.forkrunner.engine.TableCount;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the temporary restore of a logical fork held when it was dumped, kept in the run: the fork is held to it (its
 * own backup), never to the source as it is now.
 *
 * @param backupId the backup the temporary instance was restored from
 * @param rows the rows of each table, named as on the fork: {@code DATABASE.SCHEMA.TABLE}
 * @param roles its roles; none for a fork in an existing server, whose roles are the server's
 * @param extensions its extensions as {@code DATABASE.EXTENSION} to version; none for a fork in an existing server
 * @param settingDefaults every setting its version knows, with its built-in default; none for a fork in an existing
 *     server
 */
record DumpedFrom(
        String backupId,
        Map<String, Long> rows,
        List<Role> roles,
        Map<String, String> extensions,
        Map<String, String> settingDefaults) {

    static final String KEY = "dumped-from";

    DumpedFrom {
        rows = Map.copyOf(rows);
        roles = List.copyOf(roles);
        extensions = Map.copyOf(extensions);
        settingDefaults = Map.copyOf(settingDefaults);
    }

    /** Rows per table by {@code DATABASE.SCHEMA.TABLE}; with {@code database} not null, under that database's name. */
    static Map<String, Long> rows(List<TableCount> counts, String database) {
        Map<String, Long> rows = new LinkedHashMap<>();
        counts.forEach(count -> rows.put(
                (database == null ? count.database() : database) + "." + count.schema() + "." + count.table(),
                count.rows()));
        return rows;
    }

    /** One message for each table the load left with other rows than the temporary restore had, or without. */
    List<String> rowDifferences(Map<String, Long> loaded) {
        List<String> differences = new ArrayList<>();
        rows.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(table -> {
            Long found = loaded.get(table.getKey());
            if (!table.getValue().equals(found)) {
                differences.add("table " + table.getKey() + " has "
                        + (found == null ? "no rows (it is missing)" : found + " rows") + " on the fork, "
                        + table.getValue() + " in the temporary restore of backup " + backupId
                        + " it was dumped from");
            }
        });
        return differences;
    }

    /** The rows of each table on the fork as the load left them, before any integration ran, kept in the run. */
    record Loaded(Map<String, Long> rows) {

        static final String KEY = "loaded-rows";

        Loaded {
            rows = Map.copyOf(rows);
        }
    }
}
