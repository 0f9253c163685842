package io.forkrunner.report;

import io.forkrunner.backup.BackupKeeper;
import io.forkrunner.backup.BackupReport;
import io.forkrunner.backup.StoredBackup;
import io.forkrunner.definition.LiveDefinitions;
import io.forkrunner.definition.ServiceDefinition;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.batch.core.ExitStatus;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.listener.JobExecutionListener;
import org.springframework.batch.core.listener.StepExecutionListener;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.stereotype.Component;

/**
 * Forkrunner's metrics (Micrometer; Prometheus at /actuator/prometheus): runs by job and result, step durations,
 * bytes restored, each service's backup age, failed scheduled backups, point-in-time window, WAL archive lag and
 * the WAL its replication slot retains, and schedule lateness.
 */
@Component
public class Metrics implements JobExecutionListener, StepExecutionListener {

    private static final Duration REPORT_FRESH_FOR = Duration.ofSeconds(15);

    private final MeterRegistry registry;
    private final BackupKeeper backups;
    private final Clock clock;
    private final Map<String, Cached> reports = new ConcurrentHashMap<>();

    Metrics(MeterRegistry registry, BackupKeeper backups, LiveDefinitions definitions, Clock clock) {
        this.registry = registry;
        this.backups = backups;
        this.clock = clock;
        definitions.current().services().values().forEach(this::watch);
    }

    private record Cached(BackupReport report, Instant at) {}

    private void watch(ServiceDefinition service) {
        String name = service.name();
        Gauge.builder("forkrunner.backup.age", () -> age(name))
                .description("seconds since the newest verified base backup ended")
                .baseUnit("seconds")
                .tag("service", name)
                .register(registry);
        Gauge.builder("forkrunner.backup.window", () -> window(name))
                .description("length of the point-in-time window")
                .baseUnit("seconds")
                .tag("service", name)
                .register(registry);
        Gauge.builder("forkrunner.wal.slot.retained", () -> retained(name))
                .description("bytes of WAL the service's replication slot makes its source keep")
                .baseUnit("bytes")
                .tag("service", name)
                .register(registry);
        backupFailures(name);
        Gauge.builder("forkrunner.wal.archive.lag", () -> lag(name))
                .description("bytes of WAL the source has that the archive has not confirmed")
                .baseUnit("bytes")
                .tag("service", name)
                .register(registry);
    }

    private double age(String service) {
        return report(service).backups().stream()
                .filter(backup -> backup.state() == StoredBackup.State.VERIFIED)
                .map(StoredBackup::endedAt)
                .max(Instant::compareTo)
                .map(ended -> (double) Duration.between(ended, clock.instant()).toSeconds())
                .orElse(Double.NaN);
    }

    private double window(String service) {
        BackupReport.Window window = report(service).window();
        return window == null ? 0 : Duration.between(window.from(), window.to()).toMillis() / 1000.0;
    }

    private double lag(String service) {
        BackupReport.ArchiveView archive = report(service).archive();
        return archive == null
                        || archive.archiver() == null
                        || archive.archiver().lagBytes() == null
                ? Double.NaN
                : archive.archiver().lagBytes();
    }

    private double retained(String service) {
        BackupReport.SlotView slot = report(service).slot();
        return slot == null || slot.retainedBytes() == null ? Double.NaN : slot.retainedBytes();
    }

    private Counter backupFailures(String service) {
        return Counter.builder("forkrunner.backup.failures")
                .description("scheduled base backups that failed")
                .tag("service", service)
                .register(registry);
    }

    /** A scheduled backup of the service failed. */
    public void backupFailed(String service) {
        backupFailures(service).increment();
    }

    /** The service's backup report, read again when older than a few seconds: reading it runs pg_waldump. */
    private BackupReport report(String service) {
        Cached cached = reports.get(service);
        if (cached == null || Duration.between(cached.at(), clock.instant()).compareTo(REPORT_FRESH_FOR) > 0) {
            cached = new Cached(backups.report(service), clock.instant());
            reports.put(service, cached);
        }
        return cached.report();
    }

    @Override
    public void afterJob(JobExecution execution) {
        Counter.builder("forkrunner.runs")
                .description("run executions by job and result")
                .tag("job", execution.getJobInstance().getJobName())
                .tag("result", execution.getStatus().name())
                .register(registry)
                .increment();
    }

    @Override
    public ExitStatus afterStep(StepExecution step) {
        if (step.getStartTime() != null && step.getEndTime() != null) {
            Timer.builder("forkrunner.step.duration")
                    .description("how long fork steps take")
                    .tag("job", step.getJobExecution().getJobInstance().getJobName())
                    .tag("step", step.getStepName())
                    .tag("result", step.getStatus().name())
                    .register(registry)
                    .record(Duration.between(step.getStartTime(), step.getEndTime()));
        }
        String bytes = step.getExecutionContext().getString("report.bytes-laid-down", null);
        if (bytes != null && step.getStatus().name().equals("COMPLETED")) {
            Counter.builder("forkrunner.restore.bytes")
                    .description("bytes of base backups laid down for forks")
                    .baseUnit("bytes")
                    .tag("job", step.getJobExecution().getJobInstance().getJobName())
                    .register(registry)
                    .increment(Long.parseLong(bytes));
        }
        return step.getExitStatus();
    }

    /** How late a schedule fired: from its fire time to the moment a node acted on it. */
    public void lateness(String job, Duration late) {
        Timer.builder("forkrunner.schedule.lateness")
                .description("delay between a schedule's fire time and its run's launch")
                .tag("job", job)
                .register(registry)
                .record(late.isNegative() ? Duration.ZERO : late);
    }
}
