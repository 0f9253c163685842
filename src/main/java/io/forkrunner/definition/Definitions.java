package io.forkrunner.definition;

import io.forkrunner.system.BadInputException;
import io.forkrunner.system.Home;
import io.forkrunner.system.Problem;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything a home declares, validated: settings, regions, services and jobs.
 *
 * @param refused jobs left out because their file has problems, with those problems: such a job cannot run, every
 *     other job can
 */
public record Definitions(
        Home home,
        Settings settings,
        Map<String, Region> regions,
        Map<String, ServiceDefinition> services,
        Map<String, JobDefinition> jobs,
        Map<String, List<Problem>> refused) {

    public Definitions {
        regions = Map.copyOf(regions);
        services = Map.copyOf(services);
        jobs = Map.copyOf(jobs);
        refused = Map.copyOf(refused);
    }

    public Definitions(
            Home home,
            Settings settings,
            Map<String, Region> regions,
            Map<String, ServiceDefinition> services,
            Map<String, JobDefinition> jobs) {
        this(home, settings, regions, services, jobs, Map.of());
    }

    /**
     * These definitions, with each refused job that {@code previous} held valid kept as it was there: an edit that
     * breaks a job's file leaves that job running as before.
     */
    public Definitions keepingRefusedJobsOf(Definitions previous) {
        Map<String, JobDefinition> kept = new HashMap<>(jobs);
        refused.keySet().forEach(name -> {
            JobDefinition before = previous.jobs().get(name);
            if (before != null) {
                kept.put(name, before);
            }
        });
        return new Definitions(home, settings, regions, services, kept, refused);
    }

    public Optional<ServiceDefinition> service(String name) {
        return Optional.ofNullable(services.get(name));
    }

    /** The declared service, or bad input naming the ones that exist. */
    public ServiceDefinition requireService(String name) {
        return service(name)
                .orElseThrow(() -> new BadInputException(new Problem(
                        "command line",
                        0,
                        "SERVICE",
                        name,
                        "is not a service declared in config/services.yml",
                        services.keySet().stream().sorted().toList())));
    }

    public Region region(String name) {
        Region region = regions.get(name);
        if (region == null) {
            throw new IllegalStateException("region " + name + " is not declared");
        }
        return region;
    }

    public List<ServiceDefinition> streamingServices() {
        return services.values().stream()
                .filter(service -> service.backups().wal() == ServiceDefinition.Wal.STREAM)
                .sorted(java.util.Comparator.comparing(ServiceDefinition::name))
                .toList();
    }
}
