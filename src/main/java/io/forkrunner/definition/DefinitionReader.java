package io.forkrunner.definition;

import io.forkrunner.system.Home;
import io.forkrunner.system.Problem;
import java.util.List;
import java.util.Map;

/**
 * Reads {@code config/forkrunner.yml}, {@code config/services.yml} and {@code jobs/*.yml} into validated
 * {@link Definitions}, or reports every problem at once, each naming file, field, value and valid examples. A reader
 * per file ({@link SettingsReader}, {@link ServicesReader}, {@link JobsReader}) on one set of scalar parsers
 * ({@link Scalars}).
 */
public final class DefinitionReader {

    /** The largest {@code config/} or {@code jobs/} file read: 1 MiB. A larger one is refused unread. */
    public static final long MAX_FILE_BYTES = 1024 * 1024;

    private final Home home;
    private final Map<String, String> environment;

    public DefinitionReader(Home home, Map<String, String> environment) {
        this.home = home;
        this.environment = environment;
    }

    /** Reads the home's definitions with the process environment for {@code ${env:...}} secrets. */
    public static Definitions read(Home home) {
        return new DefinitionReader(home, System.getenv()).read();
    }

    /**
     * Reads the home's definitions for running forks, with the process environment: a job whose file has problems is
     * left out and kept with its problems (it cannot run; every other job can); problems in {@code config/} still
     * refuse everything.
     */
    public static Definitions readForRuns(Home home) {
        return new DefinitionReader(home, System.getenv()).readForRuns();
    }

    /** Every problem in config/ and jobs/ refuses all, reported at once. */
    public Definitions read() {
        return read(false);
    }

    /** Problems in a job's file refuse that job only; see {@link #readForRuns(Home)}. */
    public Definitions readForRuns() {
        return read(true);
    }

    private Definitions read(boolean jobsApart) {
        Problems problems = new Problems();
        Scalars scalars = new Scalars(home, environment, problems);
        Settings settings = new SettingsReader(scalars).read();
        ServicesReader services = new ServicesReader(scalars);
        services.read();
        Map<String, JobDefinition> jobs = new JobsReader(scalars, services).read();
        Map<String, List<Problem>> refused = jobsApart ? problems.takeJobProblems() : Map.of();
        problems.throwIfAny();
        refused.keySet().forEach(jobs::remove);
        return new Definitions(home, settings, services.regions, services.services, jobs, refused);
    }
}
