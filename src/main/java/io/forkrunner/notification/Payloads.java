package io.forkrunner.notification;

import io.forkrunner.definition.JobDefinition;
import io.forkrunner.definition.LiveDefinitions;
import io.forkrunner.report.RunReports;
import io.forkrunner.report.RunView;
import io.forkrunner.report.StepView;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * What a notification says about a run: its event, job, run and execution ids, state, the failed or running step and
 * the error, its fork and source, and the times of this execution. Built only from names, ids, times and the error
 * text (with every known secret hidden): never a setting, an endpoint's password or a job parameter.
 */
@Component
class Payloads {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final int ERROR_AT_MOST = 2000;

    private final RunReports reports;
    private final LiveDefinitions definitions;
    private final Redaction redaction;
    private final Clock clock;

    Payloads(RunReports reports, LiveDefinitions definitions, Redaction redaction, Clock clock) {
        this.reports = reports;
        this.definitions = definitions;
        this.redaction = redaction;
        this.clock = clock;
    }

    /** A run's execution ended: failed or succeeded. {@code otherwise} is the error when no step recorded one. */
    String ended(Event event, JobExecution execution, String otherwise) {
        RunView run = reports.run(runId(execution));
        Map<String, Object> body = common(event, execution, run);
        if (event == Event.FAILED) {
            Optional<String> step = execution.getStepExecutions().stream()
                    .filter(stepExecution -> stepExecution.getStatus() == BatchStatus.FAILED)
                    .map(StepExecution::getStepName)
                    .reduce((first, last) -> last);
            body.put("step", step.orElse(null));
            body.put("error", error(execution, run, step.orElse(null), otherwise));
        } else {
            body.put("step", null);
            body.put("error", null);
        }
        times(body, execution, instant(execution.getEndTime()));
        return JSON.writeValueAsString(body);
    }

    /** A run's execution is still running past its threshold. */
    String longRunning(JobExecution execution, JobDefinition.Threshold threshold, Duration limit, Duration usual) {
        RunView run = reports.run(runId(execution));
        Map<String, Object> body = common(Event.LONG_RUNNING, execution, run);
        body.put("state", BatchStatus.STARTED.name());
        body.put("step", stepAt(run).orElse(null));
        body.put("error", null);
        times(body, execution, null);
        body.put("threshold", threshold.text());
        body.put("thresholdSeconds", limit.toSeconds());
        body.put("usualSeconds", usual == null ? null : usual.toSeconds());
        return JSON.writeValueAsString(body);
    }

    /** The step a running run is at: its steps run one after another, so the first not completed. */
    private static Optional<String> stepAt(RunView run) {
        return run.steps().stream()
                .filter(step -> !"COMPLETED".equals(step.state()))
                .map(StepView::name)
                .findFirst();
    }

    private Map<String, Object> common(Event event, JobExecution execution, RunView run) {
        String job = execution.getJobInstance().getJobName();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("event", event.text());
        body.put("job", job);
        body.put("run", runId(execution));
        body.put("execution", execution.getId());
        body.put("state", execution.getStatus().name());
        body.put("fork", run.fork());
        body.put("warnings", run.warnings().stream().map(redaction::scrub).toList());
        JobDefinition definition = definitions.current().jobs().get(job);
        body.put("source", run.source() != null ? run.source() : definition == null ? null : definition.source());
        return body;
    }

    private void times(Map<String, Object> body, JobExecution execution, Instant ended) {
        Instant started = instant(execution.getStartTime());
        body.put("startedAt", started == null ? null : started.toString());
        body.put("endedAt", ended == null ? null : ended.toString());
        body.put(
                "durationSeconds",
                started == null
                        ? null
                        : Duration.between(started, ended == null ? clock.instant() : ended)
                                .toSeconds());
    }

    /** The failed step's error as the report shows it, else the execution's; secrets hidden, length bounded. */
    private String error(JobExecution execution, RunView run, String failedStep, String otherwise) {
        String error = run.steps().stream()
                .filter(step -> step.name().equals(failedStep) && step.error() != null)
                .map(StepView::error)
                .findFirst()
                .orElse(run.error());
        if (error == null) {
            String description = execution.getExitStatus().getExitDescription();
            error = description == null || description.isBlank()
                    ? otherwise
                    : description.lines().findFirst().orElse(otherwise);
        }
        error = redaction.scrub(error);
        return error == null || error.length() <= ERROR_AT_MOST ? error : error.substring(0, ERROR_AT_MOST) + "...";
    }

    static long runId(JobExecution execution) {
        return execution.getJobInstance().getInstanceId();
    }

    static Instant instant(LocalDateTime time) {
        return time == null ? null : time.atZone(ZoneId.systemDefault()).toInstant();
    }
}
