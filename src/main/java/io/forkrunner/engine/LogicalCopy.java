package io.forkrunner.engine;

import java.nio.file.Path;
import java.util.List;

/**
 * Copying databases by dump and load: into a new instance of a newer major version, or as a new database of an
 * existing server.
 */
public interface LogicalCopy {

    /** Dumps these databases and the roles of the server at {@code source} into {@code directory}. Resumable. */
    void dump(Endpoint source, Path directory, List<String> databases, Checkpoints checkpoints, Progress progress);

    /**
     * Creates and starts an empty instance at {@code place} whose superuser is {@code admin}'s login, with its password
     * or, when it has none, the instance's {@link GeneratedLogin} password; every login asks for a password.
     */
    void initialize(Place place, Endpoint admin);

    /**
     * Loads a dump made by {@link #dump} into the running instance at {@code place}: roles, each database's schema,
     * its tables one by one (each a checkpoint), then its indexes and constraints. Resumable.
     */
    void load(Place place, Endpoint admin, Path dump, Checkpoints checkpoints, Progress progress);

    /**
     * Loads database {@code source} of a dump made by {@link #dump} into the existing server at {@code server} as the
     * new database {@code database}, table by table like {@link #load}. With {@code withRoles} the roles the server
     * lacks are created; those it has are left alone. Resumable.
     */
    NewDatabase loadInto(
            Endpoint server,
            String source,
            String database,
            boolean withRoles,
            Path dump,
            Checkpoints checkpoints,
            Progress progress);

    /** Removes a database a fork made in an existing server, with its connections. */
    void dropDatabase(Endpoint server, String database);
}
