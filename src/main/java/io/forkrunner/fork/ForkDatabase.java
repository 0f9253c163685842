package io.forkrunner.fork;

import io.forkrunner.definition.JobDefinition;
import io.forkrunner.definition.ServiceDefinition;

/** The database of a fork where the job's checks and sql integrations run. */
final class ForkDatabase {

    private ForkDatabase() {}

    /** The job's {@code database}, else the database of the source's first pool, else {@code postgres}. */
    static String of(JobDefinition job, ServiceDefinition source) {
        if (job.database() != null) {
            return job.database();
        }
        return source.pools().isEmpty() ? "postgres" : source.pools().get(0).database();
    }
}
