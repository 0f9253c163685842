package io.forkrunner.fork;

import io.forkrunner.definition.JobDefinition;
import java.util.List;
import org.springframework.stereotype.Component;

/** A job's retention applied: forks beyond {@code keep} or older than {@code ttl} dropped, fork lists kept current. */
@Component
public class ForkRetention {

    private final ForkRegistry registry;
    private final Integrations integrations;

    ForkRetention(ForkRegistry registry, Integrations integrations) {
        this.registry = registry;
        this.integrations = integrations;
    }

    /** Applies the job's retention, never to {@code keeping} (may be null); returns the forks dropped. */
    public List<String> apply(JobDefinition job, String keeping) {
        List<String> dropped = registry.applyRetention(job, keeping);
        if (!dropped.isEmpty()) {
            integrations.refreshForkLists(job);
        }
        return dropped;
    }
}
