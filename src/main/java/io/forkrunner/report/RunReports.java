package io.forkrunner.report;

import io.forkrunner.fork.ForkJobs;
import io.forkrunner.run.NoSuchRunException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.JobInstance;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.infrastructure.item.ExecutionContext;
import org.springframework.stereotype.Component;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Runs and their steps as views for the CLI (and later REST and the dashboard). Reads only. */
@Component
public class RunReports {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final int RUNS_PER_JOB = 50;

    private final JobRepository repository;
    private final Clock clock;

    RunReports(JobRepository repository, Clock clock) {
        this.repository = repository;
        this.clock = clock;
    }

    /** The newest runs of every job that ran (declared in jobs/, renames, and jobs since removed), newest first. */
    public List<RunView> runs() {
        List<RunView> runs = new ArrayList<>();
        for (String job : repository.getJobNames()) {

            for (JobInstance instance : repository.getJobInstances(job, 0, RUNS_PER_JOB)) {
                runs.add(view(instance));
            }
        }
        runs.sort(Comparator.comparingLong(RunView::run).reversed());
        return runs;
    }

    public RunView run(long runId) {
        JobInstance instance = repository.getJobInstance(runId);
        if (instance == null) {
            throw new NoSuchRunException(runId);
        }

        return view(instance);
    }

    private RunView view(JobInstance instance) {
        List<JobExecution> executions = repository.getJobExecutions(instance);
        JobExecution last = repository.getLastJobExecution(instance);
        JsonNode plan = plan(last);
        List<StepView> steps = new ArrayList<>();
        String error = null;
        for (String name : ForkJobs.STEPS) {
            StepExecution step = repository.getLastStepExecution(instance, name);
            StepView view = step == null
                    ? new StepView(name, "PENDING", null, null, null, null, null, Map.of(), null)
                    : step(step);
            if (view.error() != null
                    && last != null
                    && !last.getStatus().isRunning()
                    && ("FAILED".equals(view.state()) || "STOPPED".equals(view.state()))) {
                error = view.error();
            }
            steps.add(view);
        }
        return new RunView(
                instance.getInstanceId(),
                instance.getJobName(),
                last == null ? null : last.getJobParameters().getString("trigger"),
                last == null ? "UNKNOWN" : last.getStatus().name(),
                executions.stream()
                        .map(JobExecution::getStartTime)
                        .filter(java.util.Objects::nonNull)
                        .map(this::instant)
                        .min(Comparator.naturalOrder())
                        .orElse(null),
                last == null ? null : instant(last.getEndTime()),
                executions.size(),
                text(plan, "fork"),
                text(plan, "source"),
                plan == null || plan.path("target").isMissingNode()
                        ? null
                        : Instant.parse(plan.path("target").asText()),
                text(plan, "backupId"),
                error,
                steps.stream()
                        .map(step -> step.report().get(ForkJobs.WARNING))
                        .filter(java.util.Objects::nonNull)
                        .toList(),
                steps);
    }

    private StepView step(StepExecution step) {
        ExecutionContext context = step.getExecutionContext();
        Map<String, String> report = new LinkedHashMap<>();
        String checkpoint = null;
        for (Map.Entry<String, Object> entry : context.entrySet()) {
            if (entry.getKey().startsWith("report.") && !entry.getKey().equals("report.error")) {
                report.put(entry.getKey().substring("report.".length()), String.valueOf(entry.getValue()));
            }
            if (entry.getKey().startsWith("checkpoint.")) {
                checkpoint = entry.getKey().substring("checkpoint.".length());
            }
        }
        Instant started = instant(step.getStartTime());
        Instant ended = instant(step.getEndTime());
        Long duration = started == null
                ? null
                : Duration.between(started, ended == null ? clock.instant() : ended)
                        .toMillis();
        String error = context.containsKey("report.error")
                ? context.getString("report.error")
                : firstLine(step.getExitStatus().getExitDescription());
        return new StepView(
                step.getStepName(),
                step.getStatus().name(),
                started,
                ended,
                duration,
                checkpoint,
                step.getStatus().isRunning() && context.containsKey("progress") ? context.getString("progress") : null,
                report,
                "FAILED".equals(step.getStatus().name())
                                || "STOPPED".equals(step.getStatus().name())
                        ? error
                        : null);
    }

    private static JsonNode plan(JobExecution execution) {
        if (execution == null || !execution.getExecutionContext().containsKey("plan")) {
            return null;
        }
        return JSON.readTree(execution.getExecutionContext().getString("plan"));
    }

    private static String text(JsonNode node, String field) {
        return node == null || node.path(field).isMissingNode()
                ? null
                : node.path(field).asText();
    }

    private static String firstLine(String text) {
        return text == null || text.isBlank() ? null : text.lines().findFirst().orElse(null);
    }

    private Instant instant(LocalDateTime time) {
        return time == null ? null : time.atZone(ZoneId.systemDefault()).toInstant();
    }
}
