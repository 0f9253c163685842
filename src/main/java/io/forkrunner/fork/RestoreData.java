package io.forkrunner.fork;

import io.forkrunner.definition.Region;
import io.forkrunner.engine.Checkpoints;
import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.Engine;
import io.forkrunner.engine.GeneratedLogin;
import io.forkrunner.engine.LogicalCopy;
import io.forkrunner.engine.NewDatabase;
import io.forkrunner.engine.PhysicalRestore;
import io.forkrunner.engine.Place;
import io.forkrunner.engine.Restored;
import io.forkrunner.provision.Instance;
import io.forkrunner.provision.InstanceSpec;
import io.forkrunner.system.DirectoryTree;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.stereotype.Component;

/**
 * Step 3: restores the fork's data. Physically: lays the base backup down (resumable file by file), replays the
 * archive to the target, promotes, while every byte of the backup is read against its checksums again (pick backup
 * checked only what needs no reading); a damaged backup fails the step and is marked FAILED. Into a newer major
 * version, logically: the same physical restore into a temporary instance (always removed), a dump of it, and a load
 * into a new server of the fork's version, table by table, each table a checkpoint; what the temporary restore held and
 * the rows the load left are kept for verify. Long work shows as progress: bytes laid down, WAL replayed, tables
 * restored.
 */
@Component
class RestoreData extends ForkStep {

    /** The report naming the run's temporary instance, while it has one. */
    static final String TEMPORARY_INSTANCE = "temporary-instance";

    private static final SecureRandom RANDOM = new SecureRandom();

    RestoreData(ForkServices services) {
        super("restore-data", services);
    }

    @Override
    void execute(Run run) {
        ForkPlan plan = run.plan();
        Engine engine = services.engine(plan);
        if (plan.logical()) {
            restoreLogically(run, plan, engine);
        } else {
            restorePhysically(
                    run, plan, engine, services.place(plan), services.restoreLogin(plan, services.instance(plan)), "");
        }
        if (!plan.intoServer()) {
            services.provisioner().start(plan.fork());
        }
    }

    /**
     * Lays the backup down at {@code place} and recovers it while every byte of the backup is verified again: the
     * restore is checkpointed only once the backup proved whole. {@code prefix} keeps the checkpoints of a temporary
     * one apart.
     */
    private void restorePhysically(Run run, ForkPlan plan, Engine engine, Place place, Endpoint admin, String prefix) {
        if (run.reached(prefix + "recovered")) {
            return;
        }
        PhysicalRestore restore = engine.require(engine.physicalRestore(), "a physical restore");
        BackupVerification verification = BackupVerification.start(
                () -> services.backups().verify(plan.source(), plan.backupDirectory()),
                problem -> services.backups()
                        .markDamaged(plan.source(), plan.backupId(), plan.backupDirectory(), problem));
        try {
            if (!run.reached(prefix + "laid-down")) {
                long rate = services.definitions().settings().runs().copyBytesPerSecond();
                long[] total = {0};
                String way = restore.layDown(plan.backupDirectory(), place, plan.nodes(), rate, (what, done, all) -> {
                    total[0] = all;
                    run.progress().report(what, done, all);
                });
                run.report("bytes-laid-down", String.valueOf(total[0]));
                if (way != null) {
                    run.report("lay-down", way);
                }
                run.checkpoint(prefix + "laid-down");
            }
            Restored restored = restore.recover(
                    place,
                    plan.fromArchive() ? services.backups().archiveDirectory(plan.source()) : null,
                    plan.backupStart(),
                    plan.target(),
                    admin,
                    run.progress());
            if (engine.changeArchive().isPresent()) { // without one, a fork holds its backup and nothing else
                run.report("timeline", String.valueOf(restored.timeline()));
                run.report("stopped-at-target", String.valueOf(restored.stoppedAtTarget()));
                run.report("subscriptions-disabled", String.valueOf(restored.subscriptionsDisabled()));
            }
            restore.compareWithBackup(plan.backupDirectory(), place, admin)
                    .ifPresent(summary -> run.report("compared-with-backup", summary));
            Duration verified = verification.await();
            run.report(
                    "backup-verified",
                    "every byte against its checksums, while it was restored, in " + verified.toMillis() + " ms");
            run.checkpoint(prefix + "recovered");
        } catch (RuntimeException e) {
            throw verification.explain(e);
        } finally {
            verification.stop();
        }
    }

    private void restoreLogically(Run run, ForkPlan plan, Engine engine) {
        if (run.reached("loaded")) {
            return;
        }
        Path dump = plan.intoServer()
                ? ForkRegistry.workDirectory(services.home(), plan.fork()).resolve("dump")
                : services.place(plan).directory().resolve("dump");

        LogicalCopy copy = engine.require(engine.logicalCopy(), "a logical restore");
        Checkpoints checkpoints = checkpoints(run);
        Endpoint admin = services.sourceEndpoint(plan); // the login the restored backup carries
        if (!run.reached("dumped")) {
            Instance temporary = temporaryInstance(run, plan);
            String name = temporary.name();
            // checkpoints of a temporary instance hold only while it is there: its name is new each time it is made
            String prefix = name + "-";
            try {
                Place temporaryPlace = temporary.place();
                if (admin.password() == null && !plan.intoServer()) {
                    // the fork loads the roles of the temporary instance, verifiers included: both ask one password
                    GeneratedLogin.share(services.place(plan).directory(), temporary.directory());
                }
                restorePhysically(run, plan, engine, temporaryPlace, services.restoreLogin(plan, temporary), prefix);
                Endpoint temporaryAdmin =
                        GeneratedLogin.of(admin, temporary.host(), temporary.port(), temporary.directory());
                List<String> databases = plan.intoServer()
                        ? List.of(plan.sourceDatabase())
                        : engine.inspection().databases(temporaryAdmin);
                run.keep(DumpedFrom.KEY, dumpedFrom(plan, engine, temporaryAdmin));
                copy.dump(temporaryAdmin, dump, databases, checkpoints, run.progress());
                run.checkpoint("dumped");
            } finally {
                services.provisioner().drop(name);
            }
        }
        if (plan.intoServer()) {
            NewDatabase made = copy.loadInto(
                    services.serverEndpoint(plan),
                    plan.sourceDatabase(),
                    plan.database(),
                    run.job().copyUsers(),
                    dump,
                    checkpoints,
                    run.progress());
            run.report("roles-created", String.join(", ", made.rolesCreated()));
            run.report("roles-left-alone", String.join(", ", made.rolesLeftAlone()));
            if (!made.privilegesWithheld().isEmpty()) {
                run.report("privileges-withheld", String.join("; ", made.privilegesWithheld()));
            }
            run.report(
                    "restore",
                    "logical, database " + plan.sourceDatabase() + " of " + plan.source() + " into new database "
                            + plan.database() + " of " + plan.server() + " (" + engine.title() + " " + plan.version()
                            + ")");
            run.keep(
                    DumpedFrom.Loaded.KEY,
                    new DumpedFrom.Loaded(DumpedFrom.rows(
                            engine.inspection().tableCounts(services.serverEndpoint(plan), plan.database()), null)));
        } else {
            Place place = services.place(plan);
            if (!run.reached("initialized")) {
                copy.initialize(place, services.restoreLogin(plan, services.instance(plan)));
                run.checkpoint("initialized");
            }
            Endpoint forkAdmin = services.forkEndpoint(plan);
            services.provisioner().start(plan.fork());
            copy.load(place, forkAdmin, dump, checkpoints, run.progress());
            run.keep(
                    DumpedFrom.Loaded.KEY,
                    new DumpedFrom.Loaded(DumpedFrom.rows(engine.inspection().tableCounts(forkAdmin), null)));
            run.report("restore", "logical, " + engine.title() + " " + plan.sourceVersion() + " to " + plan.version());
        }
        run.checkpoint("loaded");
        DirectoryTree.deleteUnder(dump.getParent(), dump);
    }

    /**
     * The run's temporary instance: the one it reserved before (recorded, so that a restart finds it) or a new one whose
     * name and directory belong to this run alone, never derived from the fork's name.
     */
    private Instance temporaryInstance(Run run, ForkPlan plan) {
        String recorded = run.reported(TEMPORARY_INSTANCE);
        Optional<Instance> existing =
                recorded == null ? Optional.empty() : services.provisioner().find(recorded);
        if (existing.isPresent()) {
            return existing.get();
        }
        String name = temporaryName(run.runId());
        run.report(TEMPORARY_INSTANCE, name); // before it exists: a run killed in between leaves nothing unrecorded
        Region region = services.definitions().region(plan.region());
        return services.provisioner()
                .reserve(new InstanceSpec(
                        name, services.engine(plan).name(), region, plan.sourceVersion(), null, Map.of()));
    }

    /** A temporary instance's name: {@code temporary-RUN-RANDOM}, within the name rule and unique to one making. */
    static String temporaryName(long runId) {
        byte[] random = new byte[6];
        RANDOM.nextBytes(random);
        return "temporary-" + runId + "-" + HexFormat.of().formatHex(random);
    }

    /** What the temporary restore holds, read before it is dumped: verify holds the fork to it. */
    private static DumpedFrom dumpedFrom(ForkPlan plan, Engine engine, Endpoint temporary) {
        if (plan.intoServer()) {
            return new DumpedFrom(
                    plan.backupId(),
                    DumpedFrom.rows(engine.inspection().tableCounts(temporary, plan.sourceDatabase()), plan.database()),
                    List.of(),
                    Map.of(),
                    Map.of());
        }
        return new DumpedFrom(
                plan.backupId(),
                DumpedFrom.rows(engine.inspection().tableCounts(temporary), null),
                engine.users().map(users -> users.roles(temporary)).orElse(List.of()),
                engine.inspection().extensions(temporary),
                engine.settings().map(settings -> settings.defaults(temporary)).orElse(Map.of()));
    }

    private static Checkpoints checkpoints(Run run) {
        return new Checkpoints() {
            @Override
            public boolean reached(String checkpoint) {
                return run.reached(checkpoint);
            }

            @Override
            public void reach(String checkpoint) {
                run.checkpoint(checkpoint);
            }
        };
    }
}
