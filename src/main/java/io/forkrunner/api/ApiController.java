package io.forkrunner.api;

import io.forkrunner.backup.BackupKeeper;
import io.forkrunner.backup.BackupReport;
import io.forkrunner.definition.Definitions;
import io.forkrunner.definition.JobDefinition;
import io.forkrunner.definition.LiveDefinitions;
import io.forkrunner.definition.ServiceDefinition;
import io.forkrunner.fork.ForkRecord;
import io.forkrunner.fork.ForkRegistry;
import io.forkrunner.report.RunReports;
import io.forkrunner.report.RunView;
import io.forkrunner.run.Operator;
import io.forkrunner.schedule.ScheduleReports;
import io.forkrunner.schedule.ScheduleView;
import io.forkrunner.schedule.Schedules;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/**
 * The REST API, every route in one place. Reads are views of the same reports the CLI prints; actions call the same
 * operator as the CLI.
 */
@RestController
@RequestMapping("/api")
class ApiController {

    private final LiveDefinitions definitions;
    private final RunReports runs;
    private final Launches launches;
    private final Operator operator;
    private final ForkRegistry forks;
    private final BackupKeeper backups;
    private final Schedules schedules;
    private final ScheduleReports scheduleReports;
    private final Clock clock;

    ApiController(
            LiveDefinitions definitions,
            RunReports runs,
            Launches launches,
            Operator operator,
            ForkRegistry forks,
            BackupKeeper backups,
            Schedules schedules,
            ScheduleReports scheduleReports,
            Clock clock) {
        this.definitions = definitions;
        this.runs = runs;
        this.launches = launches;
        this.operator = operator;
        this.forks = forks;
        this.backups = backups;
        this.schedules = schedules;
        this.scheduleReports = scheduleReports;
        this.clock = clock;
    }

    /** A job with its schedule and its last run. */
    record JobView(
            String name,
            String description,
            String source,
            String target,
            String region,
            String from,
            ScheduleView schedule,
            RunView lastRun) {}

    @GetMapping("/jobs")
    List<JobView> jobs() {
        List<RunView> all = runs.runs();
        List<ScheduleView> scheduled = schedules.list(3);
        return definitions.current().jobs().values().stream()
                .sorted(java.util.Comparator.comparing(JobDefinition::name))
                .map(job -> view(job, all, scheduled))
                .toList();
    }

    @GetMapping("/jobs/{job}")
    JobView job(@PathVariable String job) {
        return view(requireJob(job), runs.runs(), schedules.list(3));
    }

    private static JobView view(JobDefinition job, List<RunView> all, List<ScheduleView> scheduled) {
        return new JobView(
                job.name(),
                job.description(),
                job.source(),
                job.target().name(),
                job.target().region(),
                job.from().toString(),
                scheduled.stream()
                        .filter(schedule -> schedule.job().equals(job.name()))
                        .findFirst()
                        .orElse(null),
                all.stream()
                        .filter(run -> run.job().equals(job.name()))
                        .findFirst()
                        .orElse(null));
    }

    /** What a launch may say: the point in time, instead of the job's {@code from}. */
    record LaunchRequest(String at) {}

    @PostMapping("/jobs/{job}/runs")
    @ResponseStatus(HttpStatus.ACCEPTED)
    Map<String, Object> launch(@PathVariable String job, @RequestBody(required = false) LaunchRequest request) {
        requireJob(job);
        long run = launches.launch(job, request == null ? null : request.at());
        return Map.of("run", run, "job", job);
    }

    @GetMapping("/runs")
    List<RunView> runs(
            @RequestParam(required = false) String job,
            @RequestParam(required = false) String state,
            @RequestParam(required = false) Instant since) {
        return runs.runs().stream()
                .filter(run -> job == null || run.job().equals(job))
                .filter(run -> state == null || run.state().equalsIgnoreCase(state))
                .filter(run -> since == null
                        || (run.startedAt() != null && !run.startedAt().isBefore(since)))
                .toList();
    }

    @GetMapping("/runs/{run}")
    RunView run(@PathVariable long run) {
        return runs.run(run);
    }

    @PostMapping("/runs/{run}/restart")
    @ResponseStatus(HttpStatus.ACCEPTED)
    Map<String, Object> restart(@PathVariable long run) {
        runs.run(run);
        launches.restart(run);
        return Map.of("run", run);
    }

    @PostMapping("/runs/{run}/stop")
    @ResponseStatus(HttpStatus.ACCEPTED)
    Map<String, Object> stop(@PathVariable long run) {
        return Map.of("run", run, "state", operator.requestStop(run).getStatus().name());
    }

    /** A fork with its age and, when its job has a {@code retention.ttl}, how long it has left. */
    record ForkView(ForkRecord fork, long ageSeconds, Long secondsToLive) {}

    @GetMapping("/forks")
    List<ForkView> forks() {
        Instant now = clock.instant();
        return forks.list().stream()
                .map(fork -> {
                    JobDefinition job = definitions.current().jobs().get(fork.job());
                    Duration ttl = job == null ? null : job.retention().ttl();
                    Long left = ttl == null
                            ? null
                            : Math.max(
                                    0,
                                    Duration.between(now, fork.createdAt().plus(ttl))
                                            .toSeconds());
                    return new ForkView(
                            fork, Duration.between(fork.createdAt(), now).toSeconds(), left);
                })
                .toList();
    }

    @DeleteMapping("/forks/{fork}")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    void drop(@PathVariable String fork) {
        if (forks.find(fork).isEmpty()) {
            throw new ApiErrors.NotFoundException("there is no fork named " + fork);
        }
        operator.refuseIfMaking(fork, "dropping");
        forks.drop(fork);
    }

    /** A service as declared, less its password reference. */
    record ServiceView(
            String name,
            String engine,
            String region,
            String host,
            int port,
            String user,
            ServiceDefinition.Backups backups,
            List<ServiceDefinition.Pool> pools) {}

    @GetMapping("/services")
    List<ServiceView> services() {
        Definitions current = definitions.current();
        return current.services().values().stream()
                .sorted(java.util.Comparator.comparing(ServiceDefinition::name))
                .map(service -> new ServiceView(
                        service.name(),
                        service.engine(),
                        service.region(),
                        service.host(),
                        service.port(),
                        service.user(),
                        service.backups(),
                        service.pools()))
                .toList();
    }

    @GetMapping("/services/{service}/backups")
    BackupReport backups(@PathVariable String service) {
        if (definitions.current().service(service).isEmpty()) {
            throw new ApiErrors.NotFoundException("there is no service named " + service);
        }
        return backups.report(service);
    }

    @GetMapping("/schedules")
    List<ScheduleReports.ScheduledJob> schedules() {
        return scheduleReports.list();
    }

    @PostMapping("/schedules/{job}/pause")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    void pause(@PathVariable String job) {
        requireJob(job);
        schedules.pause(job);
    }

    @PostMapping("/schedules/{job}/resume")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    void resume(@PathVariable String job) {
        requireJob(job);
        schedules.resume(job);
    }

    private JobDefinition requireJob(String name) {
        JobDefinition job = definitions.current().jobs().get(name);
        if (job == null) {
            throw new ApiErrors.NotFoundException("there is no job named " + name + " in jobs/");
        }
        return job;
    }
}
