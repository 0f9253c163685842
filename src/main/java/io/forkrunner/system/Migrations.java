package io.forkrunner.system;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.flywaydb.core.api.MigrationVersion;
import org.springframework.core.io.Resource;
import org.springframework.core.io.support.PathMatchingResourcePatternResolver;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * Whether a metadata store has every migration this forkrunner carries (the scripts in {@code db/migration} and
 * {@link BundledSchema}'s), read from Flyway's history without starting Flyway: only the full start migrates.
 */
public final class Migrations {

    /** {@code spring.flyway.locations}, and how Flyway names a versioned script. */
    private static final String SCRIPTS = "classpath:db/migration/V*__*.sql";

    private Migrations() {}

    /** The versions of the migrations this forkrunner carries. */
    static Set<MigrationVersion> bundled() {
        Set<MigrationVersion> versions = new HashSet<>(List.of(
                MigrationVersion.fromVersion(BundledSchema.SPRING_BATCH_VERSION),
                MigrationVersion.fromVersion(BundledSchema.QUARTZ_VERSION)));
        try {
            for (Resource script : new PathMatchingResourcePatternResolver().getResources(SCRIPTS)) {
                String name = script.getFilename();
                versions.add(MigrationVersion.fromVersion(name.substring(1, name.indexOf("__"))));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the migrations in db/migration", e);
        }
        return versions;
    }

    /** Whether the store has applied every migration this forkrunner carries, and none failed. */
    public static boolean applied(JdbcClient jdbc) {
        boolean history = jdbc.sql("select to_regclass('flyway_schema_history') is not null")
                .query(Boolean.class)
                .single();
        if (!history) {
            return false;
        }
        record Applied(String version, boolean success) {}
        List<Applied> applied = jdbc.sql("select version, success from flyway_schema_history where version is not null")
                .query((row, index) -> new Applied(row.getString(1), row.getBoolean(2)))
                .list();
        if (applied.stream().anyMatch(migration -> !migration.success())) {
            return false;
        }
        Set<MigrationVersion> versions = new HashSet<>();
        applied.forEach(migration -> versions.add(MigrationVersion.fromVersion(migration.version())));
        return versions.containsAll(bundled());
    }
}
