package io.forkrunner.notification;

import io.forkrunner.definition.JobDefinition;
import io.forkrunner.definition.JobDefinition.LongerThan;
import io.forkrunner.definition.JobDefinition.Notification;
import io.forkrunner.definition.JobDefinition.NotifyOn;
import io.forkrunner.definition.JobDefinition.TimesUsual;
import io.forkrunner.definition.LiveDefinitions;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * Records {@code long-running} notifications for executions STARTED longer than their job's threshold, once per
 * execution: after a fixed time, or after a multiple of the job's usual duration, the median of its last (up to 10)
 * completed executions; while a job has none, it has no usual duration and no such notification. The sweep calls it,
 * on one node of the cluster at a time.
 */
@Component
public class LongRunningCheck {

    private static final Logger log = LoggerFactory.getLogger(LongRunningCheck.class);
    private static final int USUAL_OF_LAST = 10;

    private final LiveDefinitions definitions;
    private final JobRepository repository;
    private final JdbcClient jdbc;
    private final Payloads payloads;
    private final NotificationRecords records;
    private final Clock clock;

    LongRunningCheck(
            LiveDefinitions definitions,
            JobRepository repository,
            JdbcClient jdbc,
            Payloads payloads,
            NotificationRecords records,
            Clock clock) {
        this.definitions = definitions;
        this.repository = repository;
        this.jdbc = jdbc;
        this.payloads = payloads;
        this.records = records;
        this.clock = clock;
    }

    public void check() {
        for (JobDefinition job : definitions.current().jobs().values()) {
            List<Notification> wanted = job.notifications().stream()
                    .filter(notification -> notification.on() == NotifyOn.LONG_RUNNING)
                    .toList();
            if (wanted.isEmpty()) {
                continue;
            }
            try {
                check(job, wanted);
            } catch (RuntimeException e) {
                log.warn("long-running check of {}: {}", job.name(), e.toString());
            }
        }
    }

    private void check(JobDefinition job, List<Notification> wanted) {
        Set<JobExecution> running = repository.findRunningJobExecutions(job.name());
        if (running.isEmpty()) {
            return;
        }
        Optional<Duration> usual = wanted.stream().anyMatch(notification -> notification.after() instanceof TimesUsual)
                ? usualDuration(job.name())
                : Optional.empty();
        for (JobExecution execution : running) {
            Instant started = Payloads.instant(execution.getStartTime());
            if (execution.getStatus() != BatchStatus.STARTED || started == null) {
                continue;
            }
            Duration elapsed = Duration.between(started, clock.instant());
            for (Notification notification : wanted) {
                Optional<Duration> limit = limit(notification.after(), usual);
                if (limit.isEmpty()
                        || elapsed.compareTo(limit.get()) <= 0
                        || records.exists(execution.getId(), Event.LONG_RUNNING, notification.url())) {
                    continue;
                }
                Duration usualOfThis = notification.after() instanceof TimesUsual ? usual.orElse(null) : null;
                String body = payloads.longRunning(execution, notification.after(), limit.get(), usualOfThis);
                long run = Payloads.runId(execution);
                if (records.record(execution.getId(), run, job.name(), Event.LONG_RUNNING, notification.url(), body)) {
                    log.info(
                            "run {} of {} is running longer than {}: notification recorded",
                            run,
                            job.name(),
                            notification.after().text());
                }
            }
        }
    }

    private static Optional<Duration> limit(JobDefinition.Threshold threshold, Optional<Duration> usual) {
        if (threshold instanceof LongerThan longer) {
            return Optional.of(longer.duration());
        }
        BigDecimal factor = ((TimesUsual) threshold).factor();
        return usual.map(duration -> Duration.ofMillis(
                factor.multiply(BigDecimal.valueOf(duration.toMillis())).longValue()));
    }

    /** The median duration of the job's last completed executions; empty while it has none. */
    private Optional<Duration> usualDuration(String job) {
        return jdbc.sql("select percentile_cont(0.5) within group (order by seconds) from ("
                        + " select extract(epoch from e.end_time - e.start_time)::float8 as seconds"
                        + " from batch_job_execution e"
                        + " join batch_job_instance i on i.job_instance_id = e.job_instance_id"
                        + " where i.job_name = :job and e.status = 'COMPLETED'"
                        + " and e.start_time is not null and e.end_time is not null"
                        + " order by e.end_time desc limit :last) recent")
                .param("job", job)
                .param("last", USUAL_OF_LAST)
                .query((row, index) -> Optional.ofNullable(row.getObject(1, Double.class)))
                .single()
                .map(seconds -> Duration.ofMillis(Math.round(seconds * 1000)));
    }
}
