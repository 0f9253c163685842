package io.forkrunner.engine;

/** One table of a fork as verify read it: how many rows, and whether it is unlogged (empty after a physical restore). */
public record TableCount(String database, String schema, String table, long rows, boolean unlogged) {

    public String qualifiedName() {
        return database + "." + schema + "." + table;
    }
}
