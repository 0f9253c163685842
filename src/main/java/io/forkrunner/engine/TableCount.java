package io.forkrunner.engine;

/**
 * One table of a fork as verify read it: how many rows, and whether it is unlogged (empty after a physical restore).
 * An engine without schemas inside a database (MariaDB) gives an empty {@code schema}.
 */
public record TableCount(String database, String schema, String table, long rows, boolean unlogged) {

    public String qualifiedName() {
        return schema.isEmpty() ? database + "." + table : database + "." + schema + "." + table;
    }
}
