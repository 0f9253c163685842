package io.forkrunner.fork;

import io.forkrunner.definition.JobDefinition;
import io.forkrunner.definition.ServiceDefinition;
import io.forkrunner.engine.Engine;

/** The database of a fork where the job's checks and sql integrations run. */
final class ForkDatabase {

    private ForkDatabase() {}

    /**
     * The job's {@code database}, else the database of the source's first pool, else the engine's default (null for
     * none).
     */
    static String of(JobDefinition job, ServiceDefinition source, Engine engine) {
        if (job.database() != null) {
            return job.database();
        }
        return source.pools().isEmpty()
                ? engine.inspection().defaultDatabase()
                : source.pools().get(0).database();
    }
}
