package io.forkrunner.system;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import org.flywaydb.core.api.MigrationVersion;
import org.flywaydb.core.api.migration.Context;
import org.flywaydb.core.api.migration.JavaMigration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * A migration that runs the PostgreSQL DDL a library ships inside its own jar, so that the schema always matches the
 * library's version: Spring Batch's job repository (migration 1) and Quartz's job store (migration 4).
 */
final class BundledSchema implements JavaMigration {

    static final String SPRING_BATCH_VERSION = "1";
    static final String QUARTZ_VERSION = "4";

    private final String version;
    private final String description;
    private final String script;

    private BundledSchema(String version, String description, String script) {
        this.version = version;
        this.description = description;
        this.script = script;
    }

    @Configuration
    static class Migrations {

        @Bean
        JavaMigration springBatchSchema() {
            return new BundledSchema(
                    SPRING_BATCH_VERSION,
                    "spring batch job repository",
                    "/org/springframework/batch/core/schema-postgresql.sql");
        }

        @Bean
        JavaMigration quartzSchema() {
            return new BundledSchema(
                    QUARTZ_VERSION, "quartz job store", "/org/quartz/impl/jdbcjobstore/tables_postgres.sql");
        }
    }

    @Override
    public MigrationVersion getVersion() {
        return MigrationVersion.fromVersion(version);
    }

    @Override
    public String getDescription() {
        return description;
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
    public void migrate(Context context) throws IOException, SQLException {
        String ddl;
        try (InputStream in = BundledSchema.class.getResourceAsStream(script)) {
            if (in == null) {
                throw new IOException(script + " is not on the classpath");
            }
            ddl = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        try (Statement statement = context.getConnection().createStatement()) {
            for (String sql : ddl.split(";")) {
                String stripped = String.join(
                                "\n",
                                Arrays.stream(sql.split("\n"))
                                        .filter(line -> !line.strip().startsWith("--"))
                                        .toList())
                        .strip();
                // the script's own COMMIT would end Flyway's transaction: Flyway commits the migration itself
                if (!stripped.isEmpty() && !stripped.equalsIgnoreCase("commit")) {
                    statement.execute(stripped);
                }
            }
        }
    }
}
