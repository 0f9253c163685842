package io.forkrunner.engine.cassandra;

import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.Inspection;
import io.forkrunner.engine.MajorMinor;
import io.forkrunner.engine.TableCount;
import io.forkrunner.system.ForkrunnerException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Looking into a Cassandra cluster over CQL: its keyspaces stand where a server's databases would, each table with the
 * rows a full read counts. A job's checks are refused for Cassandra; its integrations' files are CQL statements
 * ({@code type: cql}).
 */
final class CassandraInspection implements Inspection {

    @Override
    public int majorVersion(Endpoint endpoint) {
        try (CassandraCql cql = CassandraCql.open(endpoint)) {
            return MajorMinor.number(cql.releaseVersion(), "Cassandra");
        }
    }

    @Override
    public List<String> databases(Endpoint endpoint) {
        try (CassandraCql cql = CassandraCql.open(endpoint)) {
            return List.copyOf(cql.schema().keySet());
        }
    }

    @Override
    public List<TableCount> tableCounts(Endpoint endpoint) {
        return counts(endpoint, null);
    }

    @Override
    public List<TableCount> tableCounts(Endpoint endpoint, String database) {
        return counts(endpoint, database);
    }

    /** The rows of every table of {@code keyspace}, or of every keyspace of the cluster's own when null. */
    private static List<TableCount> counts(Endpoint endpoint, String keyspace) {
        List<TableCount> counts = new ArrayList<>();
        try (CassandraCql cql = CassandraCql.open(endpoint)) {
            for (Map.Entry<String, List<String>> table : cql.tables().entrySet()) {
                if (keyspace == null || keyspace.equals(table.getKey())) {
                    for (String name : table.getValue()) {
                        counts.add(new TableCount(table.getKey(), "", name, cql.count(table.getKey(), name), false));
                    }
                }
            }
        }
        return counts;
    }

    @Override
    public Map<String, String> extensions(Endpoint endpoint) {
        return Map.of();
    }

    @Override
    public String defaultDatabase() {
        return null;
    }

    @Override
    public boolean check(Endpoint endpoint, String database, String sql) {
        throw new ForkrunnerException("Cassandra takes no SQL checks");
    }

    /**
     * Runs the CQL statements of {@code file} (an integration of {@code type: cql}) in order, each ending with a
     * {@code ;} at the end of a line ({@code --} and {@code //} begin comment lines). A refusal stops there, naming the
     * line of the file where the statement began; each statement's first line goes to {@code log}.
     */
    @Override
    public void runSql(Endpoint endpoint, String database, Path file, Path log) {
        List<Statement> statements = statements(file);
        StringBuilder done = new StringBuilder();
        try (CassandraCql cql = CassandraCql.open(endpoint)) {
            for (Statement statement : statements) {
                try {
                    cql.execute(statement.text());
                } catch (ForkrunnerException e) {
                    throw new ForkrunnerException(file.getFileName() + ":" + statement.line() + ": " + e.getMessage());
                }
                done.append(file.getFileName())
                        .append(':')
                        .append(statement.line())
                        .append(": done\n");
            }
        } finally {
            Inspection.writeLog(log, done.toString());
        }
    }

    /** A statement of a CQL file and the line it begins on. */
    record Statement(String text, int line) {}

    static List<Statement> statements(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        List<Statement> statements = new ArrayList<>();
        StringBuilder statement = new StringBuilder();
        int begun = 0;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            String stripped = line.strip();
            if (statement.isEmpty() && (stripped.isEmpty() || stripped.startsWith("--") || stripped.startsWith("//"))) {
                continue;
            }
            if (statement.isEmpty()) {
                begun = i + 1;
            }
            statement.append(line).append('\n');
            if (stripped.endsWith(";")) {
                String text = statement.toString().strip();
                statements.add(new Statement(text.substring(0, text.length() - 1), begun));
                statement.setLength(0);
            }
        }
        if (!statement.isEmpty()) {
            throw new ForkrunnerException(file.getFileName() + ":" + begun + ": the statement does not end with ;");
        }
        return statements;
    }
}
