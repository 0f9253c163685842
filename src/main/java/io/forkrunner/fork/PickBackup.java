package io.forkrunner.fork;

import io.forkrunner.backup.BackupKeeper;
import io.forkrunner.backup.BackupReport;
import io.forkrunner.backup.StoredBackup;
import io.forkrunner.definition.JobDefinition;
import io.forkrunner.definition.PointInTime;
import io.forkrunner.definition.ServiceDefinition;
import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.Engine;
import io.forkrunner.system.ForkrunnerException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Component;

/**
 * Step 1: resolves {@code from} (or {@code run --at}) to one base backup and one recovery target, and records them in
 * the run. A restart reuses them. Refuses a source without a backup, or a time outside its window, saying what to do.
 */
@Component
class PickBackup extends ForkStep {

    private static final DateTimeFormatter DATE =
            DateTimeFormatter.ofPattern("yyyyMMdd").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("HHmmss").withZone(ZoneOffset.UTC);

    PickBackup(ForkServices services) {
        super("pick-backup", services);
    }

    @Override
    void execute(Run run) {
        if (run.hasPlan()) {
            return;
        }
        JobDefinition job = run.job();
        ServiceDefinition source = services.definitions().requireService(job.source());
        Instant now = services.clock().instant();
        String at = run.parameter("at");
        PointInTime point = at == null
                ? job.from()
                : PointInTime.parse(at).orElseThrow(() -> new ForkrunnerException("--at " + at + " is not a time"));
        BackupKeeper.Restorable restorable;
        Instant target;
        if (source.backups().wal() == ServiceDefinition.Wal.NONE) {
            // no archive: the newest backup taken by then, and the run says which moment the fork really holds
            Instant asked = point.resolve(now).orElse(null);
            StoredBackup newest = services.backups().newestBy(source.name(), asked);
            target = newest.endedAt();
            restorable = new BackupKeeper.Restorable(newest, false);
            run.report(
                    "holds",
                    "backup " + newest.id() + " taken at " + newest.endedAt() + ", the newest"
                            + (asked == null ? "" : " taken at or before " + asked)
                            + ": " + source.name() + " has no change archive, so a fork holds a backup's moment");
        } else {
            BackupReport report = services.backups().report(source.name());
            if (report.window() == null) {
                throw new ForkrunnerException("service " + source.name() + " has no backup to fork from: take one"
                        + " with `forkrunner backup " + source.name() + "`, and keep `forkrunner serve` running for"
                        + " point-in-time forks");
            }
            BackupReport.Window window = report.window();
            target = point.resolve(now).orElse(window.to());
            services.backups().refuseInGap(source.name(), target);
            if (target.isBefore(window.from()) || target.isAfter(window.to())) {
                throw new ForkrunnerException(point + " (" + target + ") is outside the point-in-time window of "
                        + source.name() + ": " + window.from() + " to " + window.to() + ". Fork to a time inside it"
                        + " (run " + job.name() + " --at TIME), or to latest");
            }
            restorable = services.backups().backupFor(source.name(), target);
        }
        StoredBackup backup = restorable.backup();
        services.backups().recheck(backup);
        String fork = fill(job.target().name(), job, run.runId(), now);
        if (services.provisioner().find(fork).isPresent()
                || services.registry().find(fork).isPresent()) {
            throw new ForkrunnerException(
                    "a fork or instance named " + fork + " exists already: drop it (forkrunner" + " drop " + fork
                            + ") or make target.name of jobs/" + job.name() + ".yml unique with {time} or {run}");
        }
        Engine sourceEngine = services.engineOf(source);
        sourceEngine
                .backups()
                .cannotFork(backup.directory(), job.target().nodes())
                .ifPresent(why -> {
                    throw new ForkrunnerException(
                            "backup " + backup.id() + " of " + source.name() + " cannot be forked: " + why);
                });
        refuseSingleSignOnUnlessGiven(job, source, sourceEngine, backup);
        int sourceVersion = sourceEngine.backups().majorVersion(backup.directory());
        String server = job.target().server();
        String database = null;
        String sourceDatabase = null;
        int version;
        if (server != null) {
            database = fill(job.target().database(), job, run.runId(), now);
            sourceDatabase = ForkDatabase.of(job, source, sourceEngine);
            if (sourceDatabase == null) {
                throw new ForkrunnerException("jobs/" + job.name() + ".yml names no database of " + source.name()
                        + " to copy into server " + server + ": add database: NAME (the source's database)");
            }
            ServiceDefinition into = services.definitions().requireService(server);
            Engine engine = services.engineOf(into);
            Endpoint endpoint = services.endpoint(into);
            version = engine.inspection().majorVersion(endpoint);
            if (engine.inspection().databases(endpoint).contains(database)) {
                throw new ForkrunnerException("server " + server + " has a database named " + database
                        + " already: a fork never writes into an existing database. Drop it there, or make"
                        + " target.database of jobs/" + job.name() + ".yml unique with {date}, {time} or {run}");
            }
        } else {
            version = job.target().version() == null
                    ? sourceVersion
                    : job.target().version();
        }
        if (version < sourceVersion) {
            throw new ForkrunnerException("jobs/" + job.name() + ".yml asks for " + sourceEngine.title() + " " + version
                    + " but the backup of "
                    + source.name() + " is " + sourceEngine.title() + " " + sourceVersion
                    + ": a fork can only move to the same or a newer"
                    + " major version");
        }
        // another engine (target.engine) restores the backup as it is, at the backup's version
        Engine forkEngine = job.target().engine() == null
                ? sourceEngine
                : services.engineNamed(job.target().engine());
        forkEngine.servers().cannotRun(version).ifPresent(why -> {
            throw new ForkrunnerException("jobs/" + job.name() + ".yml asks for version " + version + ": " + why);
        });

        run.plan(new ForkPlan(
                job.name(),
                source.name(),
                fork,
                job.target().region(),
                version,
                sourceVersion,
                point.toString(),
                target,
                backup.id(),
                backup.directory(),
                backup.startPosition(),
                restorable.fromArchive(),
                now,
                server,
                database,
                sourceDatabase,
                job.target().engine(),
                job.target().nodes()));
    }

    /** A name of the job's target with its placeholders filled in. */
    static String fill(String pattern, JobDefinition job, long runId, Instant at) {
        return pattern.replace("{job}", job.name())
                .replace("{date}", DATE.format(at))
                .replace("{time}", TIME.format(at))
                .replace("{run}", String.valueOf(runId));
    }

    /**
     * A backup whose security configuration has single sign-on, which names the source's URLs, is forked only by a job
     * that gives the fork its own, or says {@code sso: later}.
     */
    private static void refuseSingleSignOnUnlessGiven(
            JobDefinition job, ServiceDefinition source, Engine engine, StoredBackup backup) {
        Map<String, String> domains = engine.securityConfiguration()
                .map(security -> security.singleSignOn(backup.directory()))
                .orElse(Map.of());
        if (!domains.isEmpty() && job.sso() == null) {
            List<String> named = new ArrayList<>();
            domains.forEach((name, kind) -> named.add(kind + " domain " + name));
            throw new ForkrunnerException("backup " + backup.id() + " of " + source.name() + " has single sign-on ("
                    + String.join(", ", named) + "), whose settings name the source's URLs and are never carried to"
                    + " a fork: give the fork its own in jobs/" + job.name() + ".yml (sso: { saml: { idp_metadata_url,"
                    + " idp_entity_id, sp_entity_id, dashboards_url, exchange_key } } or sso: { openid: { connect_url"
                    + " } }), or say sso: later to make the fork with those domains off and set them afterwards");
        }
    }
}
