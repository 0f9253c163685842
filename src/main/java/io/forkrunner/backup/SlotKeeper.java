package io.forkrunner.backup;

import io.forkrunner.backup.SlotRecords.MadeSlot;
import io.forkrunner.definition.ServiceDefinition;
import io.forkrunner.definition.ServiceDefinition.ServiceEvent;
import io.forkrunner.engine.ChangeArchive;
import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.Engine;
import io.forkrunner.engine.Engines;
import io.forkrunner.engine.ReplicationSlot;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.SecretRef;
import io.forkrunner.system.Secrets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * The life of the replication slots forkrunner keeps on sources for their WAL archives: each one made is recorded;
 * one whose service left {@code services.yml} or stopped streaming is dropped; one that holds more than
 * {@code backups.max-retained} is dropped, the WAL lost with it recorded as a gap in the window and notified, and its
 * archive begins again (the archive before it is set aside, the archiver makes a new slot and a fresh base backup is
 * taken). Only slots forkrunner recorded are ever dropped.
 */
@Component
public class SlotKeeper {

    private static final Logger log = LoggerFactory.getLogger(SlotKeeper.class);
    private static final DateTimeFormatter ASIDE =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    private final Engines engines;
    private final SlotRecords records;
    private final BackupKeeper keeper;
    private final Secrets secrets;
    private final ServiceEventNotifier notifications;
    private final Clock clock;

    SlotKeeper(
            Engines engines,
            SlotRecords records,
            BackupKeeper keeper,
            Secrets secrets,
            ServiceEventNotifier notifications,
            Clock clock) {
        this.engines = engines;
        this.records = records;
        this.keeper = keeper;
        this.secrets = secrets;
        this.notifications = notifications;
        this.clock = clock;
    }

    /** Records that forkrunner keeps the service's slot, before the archiver makes it. */
    void making(ServiceDefinition service) {
        keeper.changeArchive(service)
                .slotName(service.name())
                .ifPresent(slot -> records.made(service, slot, clock.instant()));
    }

    /**
     * Drops every recorded slot whose service is not among {@code streaming}; a slot that cannot be dropped now (its
     * source down) stays recorded and is dropped at the next reload or start.
     */
    void dropAllBut(Set<String> streaming) {
        for (MadeSlot made : records.made()) {
            if (streaming.contains(made.service())) {
                continue;
            }
            try {
                Engine engine = engines.named(made.engine());
                engine.require(engine.changeArchive(), "dropping replication slot " + made.slot())
                        .dropSlot(endpoint(made), made.slot());
                records.dropped(made.service());
                log.info(
                        "dropped replication slot {} on {}:{}: {} no longer streams WAL",
                        made.slot(),
                        made.host(),
                        made.port(),
                        made.service());
            } catch (RuntimeException e) {
                log.error(
                        "cannot drop replication slot {} of {} on {}:{} ({}); trying again at the next reload",
                        made.slot(),
                        made.service(),
                        made.host(),
                        made.port(),
                        e.getMessage());
            }
        }
    }

    private Endpoint endpoint(MadeSlot made) {
        SecretRef password = made.passwordRef() == null
                ? null
                : SecretRef.parse(made.passwordRef())
                        .orElseThrow(() -> new ForkrunnerException("recorded password reference of " + made.service()
                                + " is not one: " + made.passwordRef()));
        return new Endpoint(made.host(), made.port(), made.user(), password == null ? null : secrets.resolve(password));
    }

    /** Whether the service's slot holds more WAL than {@code backups.max-retained} allows. */
    boolean holdsTooMuch(ServiceDefinition service, long retainedBytes) {
        return retainedBytes > service.backups().maxRetainedBytes();
    }

    /**
     * The slot held too much: drops it, the gap beginning where the window ended (the newest archived commit, or the
     * newest backup's end), sets the archive aside (the archiver begins a new one on a new slot), records
     * the gap and notifies. Call with the archiver's process ended.
     */
    void dropForGap(ServiceDefinition service) {
        ChangeArchive changes = keeper.changeArchive(service);
        Endpoint source = Endpoint.of(service, secrets);
        Optional<String> slotName = changes.slotName(service.name());
        if (slotName.isEmpty()) {
            return;
        }
        String name = slotName.get();
        Optional<ReplicationSlot> slot = changes.slot(source, name);
        if (slot.isEmpty()) {
            return;
        }
        Path archive = keeper.archiveDirectory(service.name());
        BackupReport.Window window = keeper.report(service.name()).window();
        Instant from = window == null ? clock.instant() : window.to();
        changes.dropSlot(source, name);
        setAside(archive);
        long retained = slot.get().retainedBytes();
        records.gapOpened(service.name(), from, slot.get().restartPosition(), retained, clock.instant());
        WalGap gap = new WalGap(0, service.name(), from, slot.get().restartPosition(), null, null, retained);
        String message = "replication slot " + name + " held " + retained + " bytes of WAL on " + source
                + ", more than backups.max-retained (" + service.backups().maxRetainedBytes()
                + " bytes): it was dropped; forks cannot reach " + gap.describe()
                + "; a new slot and a fresh base backup begin the window again";
        log.error(message);
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("slot", name);
        details.put("retainedBytes", retained);
        details.put("maxRetainedBytes", service.backups().maxRetainedBytes());
        details.put("gapFrom", from.toString());
        details.put("gapFromPosition", slot.get().restartPosition());
        notifications.notify(service, ServiceEvent.WAL_GAP, message, details);
    }

    /** Moves the archive to {@code wal-before-gap-TIME} next to it: its WAL cannot join the new archive's. */
    private void setAside(Path archive) {
        if (!Files.exists(archive, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Path aside = archive.resolveSibling("wal-before-gap-" + ASIDE.format(clock.instant()));
        try {
            Files.move(archive, aside);
        } catch (IOException e) {
            throw new ForkrunnerException("cannot set the WAL archive " + archive + " aside: " + e.getMessage(), e);
        }
    }

    /** Whether a gap of the service waits for the fresh base backup that ends it. */
    boolean gapOpen(String service) {
        return records.gaps(service).stream().anyMatch(gap -> gap.to() == null);
    }

    /** Takes the fresh base backup after a gap and ends the gap where it ends. */
    void takeFreshBackup(ServiceDefinition service) {
        StoredBackup backup = keeper.backup(service.name());
        records.gapsClosed(service.name(), backup.endedAt(), backup.startPosition());
        log.info("fresh base backup {} of {} ends its WAL gap", backup.id(), service.name());
    }

    public List<WalGap> gaps(String service) {
        return records.gaps(service);
    }
}
