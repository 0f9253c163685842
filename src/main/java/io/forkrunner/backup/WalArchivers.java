package io.forkrunner.backup;

import io.forkrunner.definition.LiveDefinitions;
import io.forkrunner.definition.ServiceDefinition;
import io.forkrunner.engine.ArchiveStream;
import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.Engines;
import io.forkrunner.system.AdvisoryLock;
import io.forkrunner.system.ChildProcess;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.LockSessions;
import io.forkrunner.system.Node;
import io.forkrunner.system.Secrets;
import jakarta.annotation.PreDestroy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Under {@code serve}: one supervised archiver per service with {@code wal: stream}, on one node of the cluster. When the streaming process dies
 * it is restarted with a growing back-off (1 s doubling to 30 s, reset after a minute of health); its state, restarts
 * and lag are recorded for {@code backups} to show.
 */
@Component
public class WalArchivers {

    private static final Logger log = LoggerFactory.getLogger(WalArchivers.class);
    private static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    private static final Duration HEALTHY = Duration.ofMinutes(1);
    private static final Duration REPORT_EVERY = Duration.ofSeconds(2);
    private static final Duration STANDBY_POLL = Duration.ofSeconds(5);
    private static final Duration LOCK_IDLE = Duration.ofMinutes(1);
    private static final Duration FRESH_BACKUP_RETRY = Duration.ofMinutes(1);

    private final LiveDefinitions definitions;
    private final Engines engines;
    private final BackupKeeper keeper;
    private final ArchiverRecords records;
    private final SlotKeeper slots;
    private final Secrets secrets;
    private final LockSessions locks;
    private final Clock clock;
    private final Map<String, Archiver> running = new HashMap<>();

    WalArchivers(
            LiveDefinitions definitions,
            Engines engines,
            BackupKeeper keeper,
            ArchiverRecords records,
            SlotKeeper slots,
            Secrets secrets,
            LockSessions locks,
            Clock clock) {
        this.slots = slots;
        this.locks = locks;
        this.definitions = definitions;
        this.engines = engines;
        this.keeper = keeper;
        this.records = records;
        this.secrets = secrets;
        this.clock = clock;
    }

    /**
     * Starts an archiver for every service with {@code wal: stream}, and drops the slots of services that no longer
     * stream.
     */
    public synchronized void start() {
        reconcile();
    }

    /**
     * Makes the archivers match the current definitions: starts those of new streaming services, stops those of
     * services gone or no longer streaming (and drops their replication slots), and restarts those whose service
     * changed.
     */
    public synchronized void reconcile() {
        Map<String, ServiceDefinition> wanted = new HashMap<>();
        definitions.current().streamingServices().forEach(service -> wanted.put(service.name(), service));
        for (String name : new ArrayList<>(running.keySet())) {
            Archiver archiver = running.get(name);
            if (!archiver.service().equals(wanted.get(name))) {
                end(archiver);
                running.remove(name);
            }
        }
        slots.dropAllBut(wanted.keySet());
        wanted.forEach((name, service) -> running.computeIfAbsent(name, key -> {
            Thread thread = new Thread(() -> supervise(service), "wal-archiver-" + name);
            thread.setDaemon(true);
            thread.start();
            return new Archiver(service, thread);
        }));
    }

    @PreDestroy
    public synchronized void stop() {
        running.values().forEach(WalArchivers::end);
        running.clear();
    }

    private record Archiver(ServiceDefinition service, Thread thread) {}

    private static void end(Archiver archiver) {
        archiver.thread().interrupt();
        try {
            archiver.thread().join(Duration.ofSeconds(20).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * One archiver per service across the cluster: the node holding the service's archiver lock archives, the others
     * stand by and take over when its holder dies.
     */
    private void supervise(ServiceDefinition service) {
        boolean standingBy = false;
        while (!Thread.currentThread().isInterrupted()) {
            Optional<AdvisoryLock> lock = locks.tryAcquire("forkrunner.archiver." + service.name(), LOCK_IDLE);
            if (lock.isEmpty()) {
                if (!standingBy) {
                    log.info("another node archives the WAL of {}: standing by", service.name());
                    standingBy = true;
                }
                try {
                    Thread.sleep(STANDBY_POLL.toMillis());
                } catch (InterruptedException e) {
                    return;
                }
                continue;
            }
            standingBy = false;
            try (AdvisoryLock held = lock.get()) {
                if (archive(service, held)) {
                    return;
                }
            }
        }
    }

    /** Runs and restarts the streaming process while this node holds the lock; true when this thread was stopped. */
    private boolean archive(ServiceDefinition service, AdvisoryLock lock) {
        String node = Node.current();
        int restarts = 0;
        Duration backoff = FIRST_BACKOFF;
        String lastError = null;
        Thread freshBackup = null;
        while (!Thread.currentThread().isInterrupted()) {
            Instant started = clock.instant();
            try {
                slots.making(service);
            } catch (RuntimeException e) {
                log.warn("cannot record the replication slot of {}: {}", service.name(), e.getMessage());
            }
            try (ArchiveStream stream = keeper.changeArchive(service).stream(
                    service,
                    Endpoint.of(service, secrets),
                    keeper.archiveDirectory(service.name()),
                    keeper.logFile(service.name(), "archive"))) {
                ChildProcess child = stream.start();
                log.info("archiving WAL of {} (pid {})", service.name(), child.pid());
                boolean gap = false;
                try {
                    while (child.isAlive()) {
                        lock.keepAlive();
                        OptionalLong lag = stream.lagBytes();
                        save(service, node, child.pid(), "RUNNING", started, restarts, lastError, lag);
                        if (lag.isPresent() && slots.holdsTooMuch(service, lag.getAsLong())) {
                            child.end();
                            slots.dropForGap(service);
                            gap = true;
                            break;
                        }
                        freshBackup = freshBackupAfterGap(service, freshBackup);
                        Thread.sleep(REPORT_EVERY.toMillis());
                    }
                    if (gap) {
                        continue;
                    }
                    lastError = "the archiving process ended with exit code " + child.awaitExit();
                } catch (InterruptedException e) {
                    child.end();
                    if (freshBackup != null) {
                        freshBackup.interrupt();
                    }
                    save(service, node, null, "STOPPED", started, restarts, lastError, OptionalLong.empty());
                    log.info("stopped archiving WAL of {}", service.name());
                    return true;
                } catch (ForkrunnerException lost) {
                    child.end();
                    log.warn(
                            "lost the archiver lock of {} ({}): another node may archive it now",
                            service.name(),
                            lost.getMessage());
                    return false;
                }
            } catch (RuntimeException e) {
                lastError = e.getMessage();
            }
            restarts++;
            backoff = Duration.between(started, clock.instant()).compareTo(HEALTHY) > 0 ? FIRST_BACKOFF : backoff;
            log.warn(
                    "WAL archiver of {} stopped ({}); restart {} in {} s",
                    service.name(),
                    lastError,
                    restarts,
                    backoff.toSeconds());
            save(service, node, null, "RESTARTING", started, restarts, lastError, OptionalLong.empty());
            try {
                Thread.sleep(backoff.toMillis());
                lock.keepAlive();
            } catch (InterruptedException e) {
                save(service, node, null, "STOPPED", started, restarts, lastError, OptionalLong.empty());
                return true;
            } catch (ForkrunnerException lost) {
                return false;
            }
            backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
        }
        return true;
    }

    /**
     * While a gap waits for its fresh base backup, one is taken in the background (the archive streams meanwhile);
     * returns the thread taking it, a new one when the last attempt ended without ending the gap.
     */
    private Thread freshBackupAfterGap(ServiceDefinition service, Thread taking) {
        if (taking != null && taking.isAlive() || !slots.gapOpen(service.name())) {
            return taking;
        }
        Thread thread = new Thread(
                () -> {
                    try {
                        slots.takeFreshBackup(service);
                    } catch (RuntimeException e) {
                        log.error(
                                "the fresh base backup of {} after its WAL gap failed ({}); trying again",
                                service.name(),
                                e.getMessage());
                        try {
                            Thread.sleep(FRESH_BACKUP_RETRY.toMillis());
                        } catch (InterruptedException stopped) {
                            Thread.currentThread().interrupt();
                        }
                    }
                },
                "fresh-backup-" + service.name());
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    private void save(
            ServiceDefinition service,
            String node,
            Long pid,
            String state,
            Instant started,
            int restarts,
            String error,
            OptionalLong lag) {
        try {
            records.save(new ArchiverStatus(
                    service.name(),
                    node,
                    pid,
                    state,
                    started,
                    restarts,
                    error,
                    lag.isPresent() ? lag.getAsLong() : null,
                    clock.instant()));
        } catch (RuntimeException e) {
            log.warn("cannot record the WAL archiver state of {}: {}", service.name(), e.getMessage());
        }
    }
}
