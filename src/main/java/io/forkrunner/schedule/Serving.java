package io.forkrunner.schedule;

import io.forkrunner.backup.WalArchivers;
import io.forkrunner.definition.LiveDefinitions;
import io.forkrunner.fork.ForkRecord;
import io.forkrunner.fork.ForkRegistry;
import io.forkrunner.notification.NotificationDispatcher;
import io.forkrunner.run.Operator;
import io.forkrunner.run.RunLeases;
import io.forkrunner.system.ForkrunnerException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * What {@code serve} starts, in order: the forks and pools that should run, the schedules (a node of the Quartz
 * cluster), the WAL archivers, the runs the last shutdown stopped, the watch on the definitions, and the delivery of
 * notifications. Only registered forks that no live run holds are started: a node starting never touches another
 * node's run. A fork that does not start is logged and reported; the node starts all the same.
 */
@Component
public class Serving {

    private static final Logger log = LoggerFactory.getLogger(Serving.class);

    private final ForkRegistry forks;
    private final Schedules schedules;
    private final Scheduler scheduler;
    private final MisfireRecorder misfires;
    private final WalArchivers archivers;
    private final RunLeases leases;
    private final Takeovers takeovers;
    private final DefinitionWatcher watcher;
    private final NotificationDispatcher notifications;
    private final Operator operator;
    private final LiveDefinitions definitions;

    Serving(
            ForkRegistry forks,
            Schedules schedules,
            Scheduler scheduler,
            MisfireRecorder misfires,
            WalArchivers archivers,
            RunLeases leases,
            Takeovers takeovers,
            DefinitionWatcher watcher,
            NotificationDispatcher notifications,
            Operator operator,
            LiveDefinitions definitions) {
        this.forks = forks;
        this.schedules = schedules;
        this.scheduler = scheduler;
        this.misfires = misfires;
        this.archivers = archivers;
        this.leases = leases;
        this.takeovers = takeovers;
        this.watcher = watcher;
        this.notifications = notifications;
        this.operator = operator;
        this.definitions = definitions;
    }

    /** Starts serving; returns what did not start (each also logged), for the operator to read. */
    public List<String> start() {
        List<String> problems = new ArrayList<>();
        definitions
                .current()
                .refused()
                .forEach((job, found) -> found.forEach(problem -> {
                    log.error("job {} is not scheduled and cannot run until its file is fixed: {}", job, problem);
                    problems.add("job " + job + " is refused: " + problem);
                }));
        problems.addAll(startForks());
        schedules.synchronize();
        try {
            scheduler.getListenerManager().addTriggerListener(misfires);
            scheduler.start();
        } catch (SchedulerException e) {
            throw new ForkrunnerException("cannot start the schedules: " + e.getMessage(), e);
        }
        archivers.start();
        leases.runsToResume().forEach(takeovers::restart);
        watcher.start();
        notifications.start();
        return problems;
    }

    /** Starts the registered forks that should run and do not, leaving alone those a live run holds. */
    private List<String> startForks() {
        List<String> problems = new ArrayList<>();
        Map<String, Operator.LiveRun> live = operator.liveRunsByFork();
        for (ForkRecord fork : forks.list()) {
            Operator.LiveRun holder = live.get(fork.name());
            if (holder != null) {
                log.info("fork {} is held by run {} ({}): left to it", fork.name(), holder.run(), holder.node());
                continue;
            }
            try {
                forks.start(fork);
            } catch (RuntimeException e) {
                log.error("fork {} did not start: {}; serving goes on without it", fork.name(), e.getMessage(), e);
                problems.add("fork " + fork.name() + " did not start: " + e.getMessage());
            }
        }
        return problems;
    }
}
