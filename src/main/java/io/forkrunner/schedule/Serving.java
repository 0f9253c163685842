package io.forkrunner.schedule;

import io.forkrunner.backup.WalArchivers;
import io.forkrunner.fork.ForkRegistry;
import io.forkrunner.notification.NotificationDispatcher;
import io.forkrunner.run.RunLeases;
import io.forkrunner.system.ForkrunnerException;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.springframework.stereotype.Component;

/**
 * What {@code serve} starts, in order: the forks and pools that should run, the schedules (a node of the Quartz
 * cluster), the WAL archivers, the runs the last shutdown stopped, the watch on the definitions, and the delivery of
 * notifications.
 */
@Component
public class Serving {

    private final ForkRegistry forks;
    private final Schedules schedules;
    private final Scheduler scheduler;
    private final MisfireRecorder misfires;
    private final WalArchivers archivers;
    private final RunLeases leases;
    private final Takeovers takeovers;
    private final DefinitionWatcher watcher;
    private final NotificationDispatcher notifications;

    Serving(
            ForkRegistry forks,
            Schedules schedules,
            Scheduler scheduler,
            MisfireRecorder misfires,
            WalArchivers archivers,
            RunLeases leases,
            Takeovers takeovers,
            DefinitionWatcher watcher,
            NotificationDispatcher notifications) {
        this.forks = forks;
        this.schedules = schedules;
        this.scheduler = scheduler;
        this.misfires = misfires;
        this.archivers = archivers;
        this.leases = leases;
        this.takeovers = takeovers;
        this.watcher = watcher;
        this.notifications = notifications;
    }

    public void start() {
        forks.recover();
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
    }
}
