package io.forkrunner.schedule;

import io.forkrunner.definition.Definitions;
import io.forkrunner.definition.JobDefinition;
import java.text.ParseException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.TimeZone;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.quartz.CronExpression;
import org.quartz.CronTrigger;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * The jobs' cron triggers as Quartz's JDBC job store keeps them, read with SQL: their state and next fire times, with no
 * scheduler. {@link Schedules} writes them (through Quartz); this reads them for it and for a command that only reads.
 */
@Component
public class TriggerRecords {

    /** {@code spring.quartz.scheduler-name}: the scheduler whose rows these are. */
    static final String SCHEDULER = "forkrunner";

    private final JdbcClient jdbc;

    TriggerRecords(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** A job's cron trigger as stored: Quartz's state name (WAITING, PAUSED, ...), next fire time in ms (or none). */
    private record Stored(String job, String state, Long nextFire, String cron, String zone, int misfire) {}

    /**
     * Whether every scheduled job's trigger is stored as its definition asks (cron, zone, misfire), that is whether
     * {@link Schedules#synchronize()} would leave each alone.
     */
    public boolean match(Definitions definitions) {
        Map<String, Stored> stored = stored();
        for (JobDefinition job : definitions.jobs().values()) {
            if (job.schedule() == null) {
                continue;
            }
            CronTrigger wanted = (CronTrigger) Schedules.forkTrigger(job, Instant.EPOCH);
            Stored trigger = stored.get(job.name());
            if (trigger == null
                    || !wanted.getCronExpression().equals(trigger.cron())
                    || !wanted.getTimeZone().getID().equals(trigger.zone())
                    || wanted.getMisfireInstruction() != trigger.misfire()) {
                return false;
            }
        }
        return true;
    }

    /** Each scheduled job: its schedule, the state of its trigger and its next {@code nextFires} fire times. */
    public List<ScheduleView> list(Definitions definitions, int nextFires) {
        Map<String, Stored> stored = stored();
        List<ScheduleView> views = new ArrayList<>();
        for (JobDefinition job : definitions.jobs().values()) {
            if (job.schedule() == null) {
                continue;
            }
            Stored trigger = stored.get(job.name());
            views.add(new ScheduleView(
                    job.name(),
                    job.schedule().cron(),
                    job.schedule().zone().getId(),
                    job.schedule().misfire().name().toLowerCase().replace('_', '-'),
                    job.schedule().overlap().name().toLowerCase(),
                    trigger == null ? "NONE" : state(trigger.state()),
                    trigger == null ? List.of() : fireTimes(trigger, nextFires)));
        }
        views.sort(Comparator.comparing(ScheduleView::job));
        return views;
    }

    private Map<String, Stored> stored() {
        return jdbc
                .sql("select t.trigger_name, t.trigger_state, t.next_fire_time, t.misfire_instr, c.cron_expression,"
                        + " c.time_zone_id from qrtz_triggers t join qrtz_cron_triggers c on c.sched_name ="
                        + " t.sched_name and c.trigger_name = t.trigger_name and c.trigger_group = t.trigger_group"
                        + " where t.sched_name = :scheduler and t.trigger_group = :group")
                .param("scheduler", SCHEDULER)
                .param("group", Schedules.FORKS)
                .query((row, index) -> new Stored(
                        row.getString("trigger_name"),
                        row.getString("trigger_state"),
                        (Long) row.getObject("next_fire_time"),
                        row.getString("cron_expression"),
                        row.getString("time_zone_id"),
                        row.getInt("misfire_instr")))
                .list()
                .stream()
                .collect(Collectors.toMap(Stored::job, Function.identity()));
    }

    /** Quartz's {@code Trigger.TriggerState} of a stored state, as {@code Scheduler.getTriggerState} tells it. */
    private static String state(String stored) {
        return switch (stored) {
            case "DELETED" -> "NONE";
            case "PAUSED", "PAUSED_BLOCKED" -> "PAUSED";
            case "COMPLETE", "ERROR", "BLOCKED" -> stored;
            default -> "NORMAL";
        };
    }

    /** The stored next fire time and those after it, as the trigger's cron expression in its zone gives them. */
    private static List<Instant> fireTimes(Stored trigger, int count) {
        List<Instant> times = new ArrayList<>();
        if (trigger.nextFire() == null || trigger.nextFire() <= 0) {
            return times;
        }
        CronExpression cron;
        try {
            cron = new CronExpression(trigger.cron());
        } catch (ParseException e) {
            throw new IllegalStateException("the stored trigger of " + trigger.job() + " has a bad cron expression", e);
        }
        if (trigger.zone() != null) {
            cron.setTimeZone(TimeZone.getTimeZone(trigger.zone()));
        }
        Date fire = new Date(trigger.nextFire());
        while (fire != null && times.size() < count) {
            times.add(fire.toInstant());
            fire = cron.getTimeAfter(fire);
        }
        return times;
    }
}
