package io.forkrunner.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Looking into a running server: what the verify step and the fidelity checks read, and the job's checks and SQL. */
public interface Inspection {

    /** The major version of the server at {@code endpoint}. */
    int majorVersion(Endpoint endpoint);

    /** The databases of a server that accept connections. */
    List<String> databases(Endpoint endpoint);

    /** Reads every table of every database and counts its rows. */
    List<TableCount> tableCounts(Endpoint endpoint);

    /** Reads every table of one database and counts its rows. */
    List<TableCount> tableCounts(Endpoint endpoint, String database);

    /** The extensions installed in each database, as {@code DATABASE.EXTENSION} to version; empty where none. */
    Map<String, String> extensions(Endpoint endpoint);

    /**
     * Where a fork's checks and SQL files run when neither its job nor a pool of its source names a database; null
     * for none (the SQL names its tables with their database).
     */
    String defaultDatabase();

    /** Whether {@code sql} returns true on the database (null: none chosen, where the engine allows it). */
    boolean check(Endpoint endpoint, String database, String sql);

    /** Runs a SQL file on a database (null: none chosen, where the engine allows it); output to {@code log}. */
    void runSql(Endpoint endpoint, String database, Path file, Path log);

    /** Writes what a file of statements did to {@code log}, making its directory when missing. */
    static void writeLog(Path log, String text) {
        try {
            Files.createDirectories(log.getParent());
            Files.writeString(log, text);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + log, e);
        }
    }
}
