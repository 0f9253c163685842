package io.forkrunner.schedule;

import io.forkrunner.backup.BackupKeeper;
import io.forkrunner.definition.LiveDefinitions;
import io.forkrunner.definition.ServiceDefinition;
import io.forkrunner.definition.ServiceDefinition.ServiceEvent;
import io.forkrunner.notification.ServiceNotifications;
import io.forkrunner.report.Metrics;
import java.util.Map;
import org.quartz.DisallowConcurrentExecution;
import org.quartz.Job;
import org.quartz.JobExecutionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A service's {@code backups.every} came round: take a base backup, once across the cluster. One that fails is counted
 * ({@code forkrunner_backup_failures_total}), kept in the catalog with its error and notified.
 */
@DisallowConcurrentExecution
public class TakeBackup implements Job {

    private static final Logger log = LoggerFactory.getLogger(TakeBackup.class);

    private final BackupKeeper backups;
    private final LiveDefinitions definitions;
    private final Metrics metrics;
    private final ServiceNotifications notifications;

    public TakeBackup(
            BackupKeeper backups, LiveDefinitions definitions, Metrics metrics, ServiceNotifications notifications) {
        this.backups = backups;
        this.definitions = definitions;
        this.metrics = metrics;
        this.notifications = notifications;
    }

    /** Takes the backup; a failure is logged, counted and notified, never thrown to the scheduler. */
    @Override
    public void execute(JobExecutionContext context) {
        String service = context.getJobDetail().getKey().getName();
        try {
            backups.backup(service);
        } catch (RuntimeException e) {
            log.error("scheduled backup of {} failed: {}", service, e.getMessage());
            metrics.backupFailed(service);
            ServiceDefinition definition = definitions.current().services().get(service);
            if (definition != null) {
                notifications.notify(
                        definition,
                        ServiceEvent.BACKUP_FAILURE,
                        "scheduled backup of " + service + " failed: " + e.getMessage(),
                        Map.of("error", String.valueOf(e.getMessage())));
            }
        }
    }
}
