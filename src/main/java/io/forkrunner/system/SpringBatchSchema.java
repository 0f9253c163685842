package io.forkrunner.system;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Statement;
import org.flywaydb.core.api.MigrationVersion;
import org.flywaydb.core.api.migration.Context;
import org.flywaydb.core.api.migration.JavaMigration;
import org.springframework.stereotype.Component;

/** Migration 1: Spring Batch's job repository tables, from the DDL that ships inside spring-batch-core. */
@Component
class SpringBatchSchema implements JavaMigration {

    private static final String SCRIPT = "/org/springframework/batch/core/schema-postgresql.sql";

    @Override
    public MigrationVersion getVersion() {
        return MigrationVersion.fromVersion("1");
    }

    @Override
    public String getDescription() {
        return "spring batch job repository";
    }

    @Override
    public Integer getChecksum() {
        return null;
    }

    @Override
    public boolean canExecuteInTransaction() {
        return true;
    }

    @Override
    public void migrate(Context context) throws IOException, java.sql.SQLException {
        String ddl;
        try (InputStream in = SpringBatchSchema.class.getResourceAsStream(SCRIPT)) {
            if (in == null) {
                throw new IOException(SCRIPT + " is not on the classpath");
            }
            ddl = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        try (Statement statement = context.getConnection().createStatement()) {
            for (String sql : ddl.split(";")) {
                String stripped = sql.lines()
                        .filter(line -> !line.strip().startsWith("--"))
                        .reduce("", (a, b) -> a + "\n" + b);
                if (!stripped.isBlank()) {
                    statement.execute(stripped);
                }
            }
        }
    }
}
