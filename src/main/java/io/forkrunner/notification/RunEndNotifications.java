package io.forkrunner.notification;

import io.forkrunner.definition.JobDefinition;
import io.forkrunner.definition.JobDefinition.Notification;
import io.forkrunner.definition.LiveDefinitions;
import io.forkrunner.run.Operator;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.JobInstance;
import org.springframework.batch.core.listener.JobExecutionListener;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.stereotype.Component;

/**
 * When a run's execution ends FAILED or COMPLETED, records one pending notification per {@code on: failure} or
 * {@code on: success} item of its job; so too when a run whose process died is marked FAILED, unless it is a scheduled
 * run, which the cluster resumes. The dispatcher sends them; recording never fails the run.
 */
@Component
public class RunEndNotifications implements JobExecutionListener {

    private static final Logger log = LoggerFactory.getLogger(RunEndNotifications.class);
    private static final String DIED = "the process running it died; it was marked FAILED";

    private final LiveDefinitions definitions;
    private final JobRepository repository;
    private final Payloads payloads;
    private final NotificationRecords records;

    RunEndNotifications(
            LiveDefinitions definitions, JobRepository repository, Payloads payloads, NotificationRecords records) {
        this.definitions = definitions;
        this.repository = repository;
        this.payloads = payloads;
        this.records = records;
    }

    @Override
    public void afterJob(JobExecution execution) {
        ended(execution, null);
    }

    /** A run left running by a process that died was marked FAILED: its failure is notified unless it is resumed. */
    public void processDied(long runId) {
        JobInstance instance = repository.getJobInstance(runId);
        JobExecution last = instance == null ? null : repository.getLastJobExecution(instance);
        if (last != null
                && last.getStatus() == BatchStatus.FAILED
                && !Operator.isScheduled(last.getJobParameters().getString("trigger"))) {
            ended(last, DIED);
        }
    }

    private void ended(JobExecution execution, String otherwise) {
        Event event = execution.getStatus() == BatchStatus.FAILED
                ? Event.FAILED
                : execution.getStatus() == BatchStatus.COMPLETED ? Event.SUCCEEDED : null;
        JobDefinition job =
                definitions.current().jobs().get(execution.getJobInstance().getJobName());
        if (event == null || job == null) {
            return;
        }
        List<Notification> wanted = job.notifications().stream()
                .filter(notification -> notification.on() == event.on())
                .toList();
        if (wanted.isEmpty()) {
            return;
        }
        long run = Payloads.runId(execution);
        try {
            String body = payloads.ended(event, execution, otherwise);
            for (Notification notification : wanted) {
                if (records.record(execution.getId(), run, job.name(), event, notification.url(), body)) {
                    log.info("run {} of {}: {} notification recorded", run, job.name(), event.text());
                }
            }
        } catch (RuntimeException e) {
            log.error(
                    "run {} of {}: cannot record its {} notifications: {}",
                    run,
                    job.name(),
                    event.text(),
                    e.toString());
        }
    }
}
