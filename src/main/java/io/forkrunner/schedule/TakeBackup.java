package io.forkrunner.schedule;

import io.forkrunner.backup.BackupKeeper;
import io.forkrunner.system.ForkrunnerException;
import org.quartz.DisallowConcurrentExecution;
import org.quartz.Job;
import org.quartz.JobExecutionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A service's {@code backups.every} came round: take a base backup, once across the cluster. */
@DisallowConcurrentExecution
public class TakeBackup implements Job {

    private static final Logger log = LoggerFactory.getLogger(TakeBackup.class);

    private final BackupKeeper backups;

    public TakeBackup(BackupKeeper backups) {
        this.backups = backups;
    }

    @Override
    public void execute(JobExecutionContext context) {
        String service = context.getJobDetail().getKey().getName();
        try {
            backups.backup(service);
        } catch (ForkrunnerException e) {
            log.error("scheduled backup of {} failed: {}", service, e.getMessage());
        }
    }
}
