package io.forkrunner.backup;

import io.forkrunner.definition.LiveDefinitions;
import io.forkrunner.definition.ServiceDefinition;
import io.forkrunner.engine.Archive;
import io.forkrunner.engine.BaseBackup;
import io.forkrunner.engine.ChangeArchive;
import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.Engine;
import io.forkrunner.engine.Engines;
import io.forkrunner.system.AdvisoryLock;
import io.forkrunner.system.DirectoryTree;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.Home;
import io.forkrunner.system.LockSessions;
import io.forkrunner.system.Secrets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Keeps each service's backups: takes verified base backups into the service's backup store (apart from the service),
 * prunes them to {@code backups.keep} with the WAL no kept backup needs, and tells the point-in-time window.
 */
@Component
public class BackupKeeper {

    private static final Logger log = LoggerFactory.getLogger(BackupKeeper.class);
    private static final DateTimeFormatter ID =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    private final Home home;
    private final LiveDefinitions definitions;
    private final Engines engines;
    private final BackupCatalog catalog;
    private final ArchiverRecords archivers;
    private final SlotRecords slots;
    private final Secrets secrets;
    private final LockSessions locks;
    private final Clock clock;

    BackupKeeper(
            Home home,
            LiveDefinitions definitions,
            Engines engines,
            BackupCatalog catalog,
            ArchiverRecords archivers,
            SlotRecords slots,
            Secrets secrets,
            LockSessions locks,
            Clock clock) {
        this.slots = slots;
        this.home = home;
        this.definitions = definitions;
        this.engines = engines;
        this.catalog = catalog;
        this.archivers = archivers;
        this.secrets = secrets;
        this.locks = locks;
        this.clock = clock;
    }

    public Path archiveDirectory(String service) {
        return home.backups(service).resolve("wal");
    }

    Path logFile(String service, String what) {
        return home.logs().resolve(what + "-" + service + ".log");
    }

    /** Takes a base backup of the service now, verifies and records it, then prunes to {@code keep}. */
    public StoredBackup backup(String serviceName) {
        ServiceDefinition service = definitions.current().requireService(serviceName);
        Engine engine = engines.of(service);
        Endpoint source = Endpoint.of(service, secrets);
        try (AdvisoryLock ignored = locks.tryAcquire("forkrunner.backup." + service.name())
                .orElseThrow(() -> new ForkrunnerException(
                        "a backup of " + service.name() + " is running in another process; wait for it to end"))) {
            abandonUnfinished(service, engine, source);
            String id = newId(service.name());
            Path directory = home.backups(service.name()).resolve("base").resolve(id);
            catalog.started(service.name(), id, directory, clock.instant());
            log.info("backing up {} ({}) into {}", service.name(), source, home.relative(directory));
            try {
                BaseBackup backup =
                        engine.backups().take(service, source, directory, logFile(service.name(), "backup"));
                recordSettings(service, engine, source, id);
                catalog.verified(service.name(), id, backup);
                if (engine.changeArchive().isPresent()) {
                    log.info(
                            "backup {} of {} verified: {} bytes, log positions {} to {}",
                            id,
                            service.name(),
                            backup.sizeBytes(),
                            backup.startPosition(),
                            backup.endPosition());
                } else {
                    log.info("backup {} of {} verified: {} bytes", id, service.name(), backup.sizeBytes());
                }
            } catch (RuntimeException e) {
                catalog.failed(service.name(), id, e.getMessage(), clock.instant());
                discard(service, engine, source, directory);
                throw e;
            }
            prune(service);
            return catalog.list(service.name()).stream()
                    .filter(backup -> backup.id().equals(id))
                    .findFirst()
                    .orElseThrow();
        }
    }

    /**
     * The source's own settings, recorded with the backup: a fork applies them from there and never reads the source.
     * A source whose settings cannot be read still gets its backup; forks from it then say that none were recorded.
     */
    private void recordSettings(ServiceDefinition service, Engine engine, Endpoint source, String id) {
        try {
            catalog.settings(
                    service.name(),
                    id,
                    engine.settings().map(settings -> settings.read(source)).orElse(Map.of()));
        } catch (ForkrunnerException e) {
            log.warn("the settings of {} are not recorded with backup {}: {}", service.name(), id, e.getMessage());
        }
    }

    /** The source's settings as they were when backup {@code id} was taken; empty when they were not recorded. */
    public Optional<Map<String, String>> settings(String service, String id) {
        return catalog.settings(service, id);
    }

    /** Backups left RUNNING by a process that died: nobody holds their lock, since this process does. */
    private void abandonUnfinished(ServiceDefinition service, Engine engine, Endpoint source) {
        for (StoredBackup backup : catalog.list(service.name())) {
            if (backup.state() == StoredBackup.State.RUNNING) {
                log.warn(
                        "backup {} of {} was left unfinished by a process that ended; discarding it",
                        backup.id(),
                        service.name());
                discard(service, engine, source, backup.directory());
                catalog.failed(service.name(), backup.id(), "unfinished: the process taking it ended", clock.instant());
            }
        }
    }

    /**
     * Deletes a backup that failed or was never finished, with what the source keeps of it; what cannot be given up
     * through the source is said in the log, and its directory goes all the same.
     */
    private void discard(ServiceDefinition service, Engine engine, Endpoint source, Path directory) {
        try {
            engine.backups().discard(service, source, directory);
        } catch (RuntimeException e) {
            log.warn(
                    "cannot give up the unfinished backup in {} through {}: {}",
                    directory,
                    service.name(),
                    e.getMessage());
        }
        DirectoryTree.delete(directory);
    }

    private String newId(String service) {
        String base = ID.format(clock.instant());
        List<String> taken =
                catalog.list(service).stream().map(StoredBackup::id).toList();
        String id = base;
        for (int n = 2; taken.contains(id); n++) {
            id = base + "-" + n;
        }
        return id;
    }

    /**
     * Keeps the newest {@code keep} verified backups and removes older ones, with the failed attempts before them, and
     * the WAL segments older than the oldest kept backup's start: never WAL that a kept backup needs. What the source
     * keeps of a backup (an OpenSearch snapshot) is given up through it first; a backup it cannot give up waits for the
     * next prune.
     */
    void prune(ServiceDefinition service) {
        List<StoredBackup> verified = verified(service.name());
        if (verified.isEmpty()) {
            return;
        }
        List<StoredBackup> kept =
                verified.subList(Math.max(0, verified.size() - service.backups().keep()), verified.size());
        StoredBackup oldestKept = kept.get(0);
        Engine engine = engines.of(service);
        for (StoredBackup backup : catalog.list(service.name())) {
            boolean older = backup.startedAt().isBefore(oldestKept.startedAt());
            if (older && backup.state() != StoredBackup.State.RUNNING) {
                if (Files.isDirectory(backup.directory(), LinkOption.NOFOLLOW_LINKS)) { // also a damaged one's
                    try {
                        engine.backups().discard(service, Endpoint.of(service, secrets), backup.directory());
                    } catch (RuntimeException e) {
                        log.warn(
                                "backup {} of {} is kept for now: cannot give it up through the service: {}",
                                backup.id(),
                                service.name(),
                                e.getMessage());
                        continue;
                    }
                }
                DirectoryTree.delete(backup.directory());
                catalog.remove(service.name(), backup.id());
                log.info(
                        "removed backup {} of {} (keep {})",
                        backup.id(),
                        service.name(),
                        service.backups().keep());
            }
        }
        if (service.backups().wal() == ServiceDefinition.Wal.STREAM) {
            Archive archive = archive(service);
            int removed = archive.pruneBefore(oldestKept.startPosition());
            if (removed > 0) {
                log.info(
                        "removed {} WAL segments of {} older than backup {}", removed, service.name(), oldestKept.id());
            }
        }
    }

    private List<StoredBackup> verified(String service) {
        return verified(catalog.list(service));
    }

    private static List<StoredBackup> verified(List<StoredBackup> backups) {
        return backups.stream()
                .filter(backup -> backup.state() == StoredBackup.State.VERIFIED)
                .sorted(Comparator.comparing(StoredBackup::startedAt))
                .toList();
    }

    /**
     * What to restore for {@code target}: the newest verified backup that ended by then and whose WAL the archive holds
     * without a gap from its start, replayed from the archive; or a backup that ended exactly at the target, restored
     * to its own end without the archive (for {@code wal: none}, or before the archive reaches it). A target in a gap of
     * the window, or whose replay would cross one, is refused naming the gap.
     */
    public Restorable backupFor(String serviceName, Instant target) {
        ServiceDefinition service = definitions.current().requireService(serviceName);
        refuseInGap(service.name(), target);
        Restorable chosen = restorable(service, target);
        for (WalGap gap : slots.gaps(service.name())) {
            if (chosen.fromArchive()
                    && gap.from().isAfter(chosen.backup().endedAt())
                    && gap.from().isBefore(target)) {
                throw new ForkrunnerException("cannot fork " + service.name() + " at " + target
                        + ": replaying from backup "
                        + chosen.backup().id() + " would cross " + gap.describe() + "; choose a time outside it,"
                        + " see forkrunner backups " + service.name());
            }
        }
        return chosen;
    }

    /**
     * The newest verified backup of a service that ended at or before {@code at} (null: the newest of all), for a
     * service without a change archive; refused naming the oldest backup when none had ended by then.
     */
    public StoredBackup newestBy(String serviceName, Instant at) {
        ServiceDefinition service = definitions.current().requireService(serviceName);
        List<StoredBackup> verified = verified(service.name());
        if (verified.isEmpty()) {
            throw new ForkrunnerException("service " + service.name() + " has no backup to fork from: take one with"
                    + " `forkrunner backup " + service.name() + "`");
        }
        for (int i = verified.size() - 1; i >= 0; i--) {
            if (at == null || !verified.get(i).endedAt().isAfter(at)) {
                return verified.get(i);
            }
        }
        StoredBackup oldest = verified.get(0);
        throw new ForkrunnerException("no backup of " + service.name() + " was taken by " + at + ": the oldest, "
                + oldest.id() + ", was taken at " + oldest.endedAt() + ". Fork to a time after it, or to latest");
    }

    /** Refuses a target that lies in a gap of the service's window, naming the gap. */
    public void refuseInGap(String service, Instant target) {
        for (WalGap gap : slots.gaps(service)) {
            if (gap.covers(target)) {
                throw new ForkrunnerException("cannot fork " + service + " at " + target + ": it lies in "
                        + gap.describe() + " (its replication slot held " + gap.retainedBytes()
                        + " bytes, more than backups.max-retained, and was dropped); choose a time outside it,"
                        + " see forkrunner backups " + service);
            }
        }
    }

    private Restorable restorable(ServiceDefinition service, Instant target) {
        List<StoredBackup> verified = verified(service.name());
        boolean stream = service.backups().wal() == ServiceDefinition.Wal.STREAM;
        Archive archive = stream ? archive(service) : null;
        for (int i = verified.size() - 1; i >= 0; i--) {
            StoredBackup backup = verified.get(i);
            if (backup.endedAt().isAfter(target)) {
                continue;
            }
            if (stream && archive.continuousFrom(backup.startPosition())) {
                return new Restorable(backup, true);
            }
            if (backup.endedAt().equals(target)) {
                return new Restorable(backup, false);
            }
        }
        throw new ForkrunnerException("no backup of " + service.name() + " reaches " + target
                + " without a gap in its WAL archive; see forkrunner backups " + service.name());
    }

    /**
     * Checks what can be told of a backup without reading every byte of it (its files there with their sizes) before a
     * run picks it; a backup found damaged is refused as {@link #markDamaged} says.
     */
    public void recheck(StoredBackup backup) {
        ServiceDefinition service = definitions.current().requireService(backup.service());
        engines.of(service).backups().verifyWithoutChecksums(backup.directory()).ifPresent(problem -> {
            throw markDamaged(service.name(), backup.id(), backup.directory(), problem);
        });
    }

    /** Reads every byte of a service's backup against its checksums: what is wrong, or empty when it is whole. */
    public Optional<String> verify(String serviceName, Path directory) {
        return engines.of(definitions.current().requireService(serviceName))
                .backups()
                .verify(directory);
    }

    /**
     * A backup found damaged by {@code problem} before a restore is marked FAILED with the reason, so that it is offered
     * no more; returns the refusal to throw, naming what is wrong.
     */
    public ForkrunnerException markDamaged(String service, String id, Path directory, String problem) {
        String reason = "failed verification before a restore at " + clock.instant() + ": " + problem;
        catalog.damaged(service, id, reason);
        log.warn("backup {} of {} {}", id, service, reason);
        return new ForkrunnerException("backup " + id + " of " + service + " in " + home.relative(directory)
                + " is damaged: " + problem + ". It is marked FAILED and no run will use it again: run again to fork"
                + " from the newest older verified backup, or take a new one with `forkrunner backup " + service
                + "`");
    }

    /** A backup to restore, and whether its replay continues from the WAL archive or ends at the backup's end. */
    public record Restorable(StoredBackup backup, boolean fromArchive) {}

    /** The service's backups, archive and point-in-time window. */
    public BackupReport report(String serviceName) {
        ServiceDefinition service = definitions.current().requireService(serviceName);
        // the gaps before the backups: a gap is closed only once its fresh backup is verified, so the report never
        // shows a gap ended by a backup that it lists as still running
        List<WalGap> gaps = slots.gaps(service.name());
        List<StoredBackup> backups = catalog.list(service.name());
        List<StoredBackup> verified = verified(backups);
        BackupReport.ArchiveView archiveView = null;
        BackupReport.Window window = null;
        if (service.backups().wal() == ServiceDefinition.Wal.STREAM) {
            Archive archive = archive(service);
            String from = verified.isEmpty() ? null : verified.get(0).startPosition();
            Optional<Instant> newestCommit = archive.newestCommit();
            archiveView = new BackupReport.ArchiveView(
                    archive.segmentCount(),
                    archive.sizeBytes(),
                    archive.oldestSegment().orElse(null),
                    archive.newestSegment().orElse(null),
                    newestCommit.orElse(null),
                    from == null ? List.of() : archive.gapsFrom(from),
                    archivers.find(service.name()).orElse(null));
            window = window(verified, archive, newestCommit);
        } else if (!verified.isEmpty()) {
            Instant newest = verified.get(verified.size() - 1).endedAt();
            window = new BackupReport.Window(newest, newest);
        }
        return new BackupReport(
                service.name(),
                service.backups().wal().name().toLowerCase(),
                backups,
                window,
                archiveView,
                slotView(service),
                gaps);
    }

    /** The service's change archive as it is now. */
    private Archive archive(ServiceDefinition service) {
        return changeArchive(service).read(archiveDirectory(service.name()));
    }

    /** The service's change archive; refused for an engine that has none. */
    ChangeArchive changeArchive(ServiceDefinition service) {
        Engine engine = engines.of(service);
        return engine.require(
                engine.changeArchive(), "a change archive (wal: stream of service " + service.name() + ")");
    }

    /** The slot as the source reports it now; null when the service does not stream or its stream keeps none. */
    private BackupReport.SlotView slotView(ServiceDefinition service) {
        if (service.backups().wal() != ServiceDefinition.Wal.STREAM) {
            return null;
        }
        ChangeArchive changes = changeArchive(service);
        Optional<String> slotName = changes.slotName(service.name());
        if (slotName.isEmpty()) {
            return null;
        }
        String name = slotName.get();
        long bound = service.backups().maxRetainedBytes();
        try {
            return changes.slot(Endpoint.of(service, secrets), name)
                    .map(slot -> new BackupReport.SlotView(
                            name, true, slot.active(), slot.restartPosition(), slot.retainedBytes(), bound, null))
                    .orElse(new BackupReport.SlotView(name, false, false, null, null, bound, null));
        } catch (RuntimeException e) {
            return new BackupReport.SlotView(name, false, false, null, null, bound, e.getMessage());
        }
    }

    /**
     * From the end of the oldest backup whose WAL the archive holds without a gap, to the newest archived commit (or
     * the newest backup's end when nothing was committed since).
     */
    private static BackupReport.Window window(
            List<StoredBackup> verified, Archive archive, Optional<Instant> newestCommit) {
        if (verified.isEmpty()) {
            return null;
        }
        StoredBackup newest = verified.get(verified.size() - 1);
        Optional<StoredBackup> anchored = verified.stream()
                .filter(backup -> archive.continuousFrom(backup.startPosition()))
                .findFirst();
        if (anchored.isEmpty()) {
            return new BackupReport.Window(newest.endedAt(), newest.endedAt());
        }
        Instant to =
                newestCommit.filter(commit -> commit.isAfter(newest.endedAt())).orElse(newest.endedAt());
        return new BackupReport.Window(anchored.get().endedAt(), to);
    }
}
