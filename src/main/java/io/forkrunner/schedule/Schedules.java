package io.forkrunner.schedule;

import io.forkrunner.definition.Definitions;
import io.forkrunner.definition.Durations;
import io.forkrunner.definition.JobDefinition;
import io.forkrunner.definition.LiveDefinitions;
import io.forkrunner.definition.ServiceDefinition;
import io.forkrunner.system.BadInputException;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.Problem;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TimeZone;
import org.quartz.CronScheduleBuilder;
import org.quartz.JobBuilder;
import org.quartz.JobDetail;
import org.quartz.JobKey;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.SimpleScheduleBuilder;
import org.quartz.Trigger;
import org.quartz.TriggerBuilder;
import org.quartz.TriggerKey;
import org.quartz.impl.matchers.GroupMatcher;
import org.quartz.spi.OperableTrigger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * The schedules of the cluster, kept in Quartz's JDBC job store: one cron trigger per job with a {@code schedule}, one
 * per service with {@code backups.every}, and the sweep that takes over runs of dead nodes and expires forks.
 * {@link #synchronize()} makes the triggers match the definitions and leaves a trigger whose definition did not change
 * alone, with its state: its next fire time, its missed fires, its pause.
 */
@Component
public class Schedules {

    private static final Logger log = LoggerFactory.getLogger(Schedules.class);
    static final String FORKS = "forks";
    static final String BACKUPS = "backups";
    static final String MAINTENANCE = "maintenance";
    private static final String SIGNATURE = "signature";

    private final Scheduler scheduler;
    private final TriggerRecords triggers;
    private final LiveDefinitions definitions;
    private final Clock clock;

    Schedules(Scheduler scheduler, TriggerRecords triggers, LiveDefinitions definitions, Clock clock) {
        this.scheduler = scheduler;
        this.triggers = triggers;
        this.definitions = definitions;
        this.clock = clock;
    }

    /** Adds, changes and removes triggers so that they match the current definitions. */
    public synchronized void synchronize() {
        Definitions current = definitions.current();
        try {
            Map<String, Trigger> wanted = new LinkedHashMap<>();
            for (JobDefinition job : current.jobs().values()) {
                if (job.schedule() != null) {
                    wanted.put(FORKS + "." + job.name(), forkTrigger(job, clock.instant()));
                }
            }
            for (ServiceDefinition service : current.services().values()) {
                if (service.backups().every() != null) {
                    wanted.put(BACKUPS + "." + service.name(), backupTrigger(service, clock.instant()));
                }
            }
            wanted.put(
                    MAINTENANCE + ".sweep",
                    sweepTrigger(clock.instant(), current.settings().runs().sweepEvery()));
            for (String group : List.of(FORKS, BACKUPS, MAINTENANCE)) {
                for (TriggerKey key : scheduler.getTriggerKeys(GroupMatcher.triggerGroupEquals(group))) {
                    if (!wanted.containsKey(group + "." + key.getName())) {
                        scheduler.deleteJob(JobKey.jobKey(key.getName(), group));
                        log.info("unscheduled {} {}", group, key.getName());
                    }
                }
            }
            for (Trigger trigger : wanted.values()) {
                place(trigger);
            }
        } catch (SchedulerException e) {
            throw new ForkrunnerException("cannot update the schedules: " + e.getMessage(), e);
        }
    }

    private void place(Trigger wanted) throws SchedulerException {
        Trigger existing = scheduler.getTrigger(wanted.getKey());
        if (existing == null) {
            JobDetail job = JobBuilder.newJob(jobClass(wanted.getKey().getGroup()))
                    .withIdentity(wanted.getJobKey())
                    .storeDurably()
                    .build();
            scheduler.scheduleJob(job, Set.of(wanted), true);
            log.info(
                    "scheduled {} {}: {}",
                    wanted.getKey().getGroup(),
                    wanted.getKey().getName(),
                    wanted.getJobDataMap().getString(SIGNATURE));
            return;
        }
        String signature = wanted.getJobDataMap().getString(SIGNATURE);
        if (signature.equals(existing.getJobDataMap().getString(SIGNATURE))) {
            return;
        }
        boolean paused = scheduler.getTriggerState(existing.getKey()) == Trigger.TriggerState.PAUSED;
        scheduler.rescheduleJob(existing.getKey(), wanted);
        if (paused) {
            scheduler.pauseTrigger(wanted.getKey());
        }
        log.info(
                "rescheduled {} {}: {}",
                wanted.getKey().getGroup(),
                wanted.getKey().getName(),
                signature);
    }

    private static Class<? extends org.quartz.Job> jobClass(String group) {
        return switch (group) {
            case FORKS -> FireFork.class;
            case BACKUPS -> TakeBackup.class;
            default -> Sweep.class;
        };
    }

    /** A job's cron trigger: its zone's wall clock, its misfire policy. */
    static Trigger forkTrigger(JobDefinition job, Instant now) {
        JobDefinition.Schedule schedule = job.schedule();
        CronScheduleBuilder cron =
                CronScheduleBuilder.cronSchedule(schedule.cron()).inTimeZone(TimeZone.getTimeZone(schedule.zone()));
        cron = schedule.misfire() == JobDefinition.Misfire.RUN_ONCE
                ? cron.withMisfireHandlingInstructionFireAndProceed()
                : cron.withMisfireHandlingInstructionDoNothing();
        return TriggerBuilder.newTrigger()
                .withIdentity(job.name(), FORKS)
                .forJob(job.name(), FORKS)
                .withSchedule(cron)
                .startAt(Date.from(now))
                .usingJobData(
                        SIGNATURE,
                        schedule.cron() + " " + schedule.zone().getId() + " misfire "
                                + schedule.misfire().name().toLowerCase().replace('_', '-'))
                .build();
    }

    private static Trigger backupTrigger(ServiceDefinition service, Instant now) {
        Duration every = service.backups().every();
        return TriggerBuilder.newTrigger()
                .withIdentity(service.name(), BACKUPS)
                .forJob(service.name(), BACKUPS)
                .withSchedule(SimpleScheduleBuilder.simpleSchedule()
                        .withIntervalInMilliseconds(every.toMillis())
                        .repeatForever()
                        .withMisfireHandlingInstructionNowWithExistingCount())
                .startAt(Date.from(now.plus(every)))
                .usingJobData(SIGNATURE, "every " + Durations.format(every))
                .build();
    }

    private static Trigger sweepTrigger(Instant now, Duration every) {
        return TriggerBuilder.newTrigger()
                .withIdentity("sweep", MAINTENANCE)
                .forJob("sweep", MAINTENANCE)
                .withSchedule(SimpleScheduleBuilder.simpleSchedule()
                        .withIntervalInMilliseconds(every.toMillis())
                        .repeatForever()
                        .withMisfireHandlingInstructionNextWithRemainingCount())
                .startAt(Date.from(now))
                .usingJobData(SIGNATURE, "every " + Durations.format(every))
                .build();
    }

    /** The next {@code count} fire times of a schedule after {@code after}: what Quartz will do, without Quartz running. */
    public static List<Instant> fireTimes(JobDefinition job, Instant after, int count) {
        OperableTrigger trigger = (OperableTrigger) forkTrigger(job, after);
        List<Instant> times = new ArrayList<>();
        Date next = trigger.getFireTimeAfter(Date.from(after));
        while (next != null && times.size() < count) {
            times.add(next.toInstant());
            next = trigger.getFireTimeAfter(next);
        }
        return times;
    }

    /** Each scheduled job: its schedule, its state and its next fire times, once the triggers match the definitions. */
    public List<ScheduleView> list(int nextFires) {
        synchronize();
        return triggers.list(definitions.current(), nextFires);
    }

    public void pause(String job) {
        synchronize();
        try {
            scheduler.pauseTrigger(requireScheduled(job));
        } catch (SchedulerException e) {
            throw new ForkrunnerException("cannot pause " + job + ": " + e.getMessage(), e);
        }
    }

    public void resume(String job) {
        synchronize();
        try {
            scheduler.resumeTrigger(requireScheduled(job));
        } catch (SchedulerException e) {
            throw new ForkrunnerException("cannot resume " + job + ": " + e.getMessage(), e);
        }
    }

    private TriggerKey requireScheduled(String job) throws SchedulerException {
        TriggerKey key = TriggerKey.triggerKey(job, FORKS);
        if (!scheduler.checkExists(key)) {
            List<String> scheduled = definitions.current().jobs().values().stream()
                    .filter(definition -> definition.schedule() != null)
                    .map(JobDefinition::name)
                    .sorted()
                    .toList();
            throw new BadInputException(
                    new Problem("command line", 0, "JOB", job, "is not a job with a schedule", scheduled));
        }
        return key;
    }
}
