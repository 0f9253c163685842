package io.forkrunner.fork;

import io.forkrunner.definition.JobDefinition;
import io.forkrunner.definition.LiveDefinitions;
import io.forkrunner.definition.PointInTime;
import io.forkrunner.definition.ServiceDefinition;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * The jobs runs belong to: those declared in {@code jobs/}, and one per rename, {@code rename-NEW-NAME}, which forks
 * the renamed service to its latest transaction under the new name.
 */
@Component
public class Jobs {

    public static final String RENAME_PREFIX = "rename-";

    private final LiveDefinitions definitions;
    private final JdbcClient jdbc;

    Jobs(LiveDefinitions definitions, JdbcClient jdbc) {
        this.definitions = definitions;
        this.jdbc = jdbc;
    }

    public Optional<JobDefinition> find(String name) {
        JobDefinition declared = definitions.current().jobs().get(name);
        if (declared != null || !name.startsWith(RENAME_PREFIX)) {
            return Optional.ofNullable(declared);
        }
        String newName = name.substring(RENAME_PREFIX.length());
        return jdbc.sql("select service from renames where new_name = :name")
                .param("name", newName)
                .query(String.class)
                .optional()
                .flatMap(service -> definitions.current().service(service))
                .map(service -> renameJob(service, newName));
    }

    /** Every job name runs may belong to. */
    public List<String> names() {
        List<String> names = new ArrayList<>(definitions.current().jobs().keySet());
        jdbc.sql("select new_name from renames order by new_name")
                .query(String.class)
                .list()
                .forEach(newName -> names.add(RENAME_PREFIX + newName));
        return names;
    }

    /**
     * The job of a rename: a fork of the whole service to its latest transaction, with its users, pools and scheduled
     * events (the renamed service takes over the source's work).
     */
    public static JobDefinition renameJob(ServiceDefinition service, String newName) {
        return new JobDefinition(
                RENAME_PREFIX + newName,
                "rename of " + service.name() + " to " + newName,
                service.name(),
                null,
                new JobDefinition.Target(newName, service.region(), null),
                new PointInTime.Latest(),
                null,
                true,
                true,
                List.of(),
                List.of(),
                List.of(),
                true,
                new JobDefinition.Retention(null, null),
                List.of());
    }
}
