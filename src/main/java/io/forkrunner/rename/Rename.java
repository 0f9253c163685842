package io.forkrunner.rename;

import io.forkrunner.backup.BackupKeeper;
import io.forkrunner.backup.StoredBackup;
import io.forkrunner.definition.LiveDefinitions;
import io.forkrunner.definition.Names;
import io.forkrunner.definition.ServiceDefinition;
import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.Engine;
import io.forkrunner.engine.Engines;
import io.forkrunner.engine.Pooling;
import io.forkrunner.engine.WriteFence;
import io.forkrunner.fork.ForkRecord;
import io.forkrunner.fork.ForkRegistry;
import io.forkrunner.fork.Jobs;
import io.forkrunner.provision.Provisioner;
import io.forkrunner.run.Operator;
import io.forkrunner.system.AdvisoryLock;
import io.forkrunner.system.BadInputException;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.LockSessions;
import io.forkrunner.system.Node;
import io.forkrunner.system.Problem;
import io.forkrunner.system.Secrets;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.batch.core.BatchStatus;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * Renames a service by forking it: the service refuses writes (once the transactions open then have ended), a base
 * backup holds its last committed transaction, a fork of it runs under the new name as the run of job
 * {@code rename-NEW-NAME}, and the pools of the service's pooler are pointed at the new service. The original stays,
 * refusing writes, until it is dropped. Each stage is recorded: the same rename run again after a failure or a crash
 * goes on from where it stopped.
 */
@Component
public class Rename {

    private static final Logger log = LoggerFactory.getLogger(Rename.class);
    static final String TRIGGER = "rename";

    private final LiveDefinitions definitions;
    private final Engines engines;
    private final Secrets secrets;
    private final BackupKeeper backups;
    private final Operator operator;
    private final ForkRegistry registry;
    private final Provisioner provisioner;
    private final JdbcClient jdbc;
    private final LockSessions locks;
    private final Clock clock;

    Rename(
            LiveDefinitions definitions,
            Engines engines,
            Secrets secrets,
            BackupKeeper backups,
            Operator operator,
            ForkRegistry registry,
            Provisioner provisioner,
            JdbcClient jdbc,
            LockSessions locks,
            Clock clock) {
        this.definitions = definitions;
        this.engines = engines;
        this.secrets = secrets;
        this.backups = backups;
        this.operator = operator;
        this.registry = registry;
        this.provisioner = provisioner;
        this.jdbc = jdbc;
        this.locks = locks;
        this.clock = clock;
    }

    /**
     * What a rename did.
     *
     * @param position where the service's WAL stood once its open transactions had ended
     * @param poolsPointed the pools of the service's pooler now leading to the new service
     */
    public record Result(
            String service,
            String newName,
            long run,
            String state,
            String position,
            String backup,
            String host,
            int port,
            Integer poolPort,
            String pooler,
            List<String> poolsPointed) {}

    public Result rename(String serviceName, String newName, Duration wait, Consumer<String> say) {
        ServiceDefinition service = check(serviceName, newName);
        try (AdvisoryLock held = hold(
                serviceName,
                newName,
                "Wait for it to end, or end that process and run the same rename again to go on")) {
            return rename(service, newName, wait, say);
        } finally {
            jdbc.sql("delete from rename_holders where new_name = :name and node = :node")
                    .param("name", newName)
                    .param("node", Node.current())
                    .update();
        }
    }

    /**
     * The rename's lock, held by the one process that carries it out (or abandons it), recorded with that process;
     * refused naming the process that holds it.
     */
    private AdvisoryLock hold(String serviceName, String newName, String whatToDo) {
        AdvisoryLock lock = locks.tryAcquire("forkrunner.rename." + newName).orElseThrow(() -> {
            String holder = jdbc.sql("select node || ' since ' || since from rename_holders where new_name = :name")
                    .param("name", newName)
                    .query(String.class)
                    .optional()
                    .orElse("another process");
            return new RenameBusyException("the rename of " + serviceName + " to " + newName
                    + " is in progress: process " + holder + " holds it (HOST:PID). " + whatToDo);
        });
        jdbc.sql("insert into rename_holders (new_name, node, since) values (:name, :node, :now)"
                        + " on conflict (new_name) do update set node = :node, since = :now")
                .param("name", newName)
                .param("node", Node.current())
                .param("now", Timestamp.from(clock.instant()))
                .update();
        return lock;
    }

    private Result rename(ServiceDefinition service, String newName, Duration wait, Consumer<String> say) {
        String serviceName = service.name();
        Engine engine = engines.of(service);
        WriteFence fence = engine.require(engine.writeFence(), "a rename of " + serviceName);
        Endpoint endpoint = Endpoint.of(service, secrets);
        Optional<Stage> recorded = stage(newName);
        if (recorded.isPresent() && !recorded.get().service().equals(serviceName)) {
            throw bad(
                    "NEW-NAME",
                    newName,
                    "is the new name of a rename of " + recorded.get().service());
        }
        String state = recorded.map(Stage::state).orElse(null);
        String position = recorded.map(Stage::position).orElse(null);
        if (state == null
                && service.pooler() != null
                && pooling(engine, service)
                        .leadingTo(service.pooler(), endpoint)
                        .isEmpty()) {
            throw new BadInputException(new Problem(
                    "config/services.yml",
                    0,
                    "services." + serviceName + ".pooler",
                    service.pooler().toString(),
                    "has no pool leading to " + serviceName + " (" + endpoint.host() + ":" + endpoint.port()
                            + "): a rename would leave its clients on " + serviceName + ". Point a pool there, or"
                            + " remove pooler: from " + serviceName + "; nothing was changed",
                    List.of()));
        }
        if (state == null) {
            say.accept("refusing writes on " + serviceName + "; waiting up to " + wait.toSeconds()
                    + " s for the transactions open now to end");
            position = fence.refuse(endpoint, wait, (what, done, total) -> say.accept("waiting: " + done + " " + what));
            state = "writes-refused";
            record(newName, serviceName, state, position, null);
            log.info("{} refuses writes from now on; its last transaction ended before {}", serviceName, position);
            say.accept(serviceName + " refuses writes; its last transaction ended at " + position);
        }
        String backupId = null;
        if (state.equals("writes-refused")) {
            say.accept("taking a base backup of " + serviceName + " with its last committed transaction");
            StoredBackup backup = backups.backup(serviceName);
            backupId = backup.id();
            state = "backed-up";
            record(newName, serviceName, state, position, null);
        }
        String job = Jobs.RENAME_PREFIX + newName;
        long run;
        Optional<Long> launched = operator.runOf(job, TRIGGER);
        if (launched.isEmpty()) {
            say.accept("forking " + serviceName + " to its latest transaction as " + newName);
            run = operator.launch(job, null, TRIGGER);
        } else if (operator.state(launched.get()) != BatchStatus.COMPLETED) {
            say.accept("resuming run " + launched.get() + ", the fork of this rename");
            run = operator.restart(launched.get());
        } else {
            run = launched.get();
        }
        if (operator.state(run) != BatchStatus.COMPLETED) {
            throw new ForkrunnerException("run " + run + ", the fork of " + serviceName + " as " + newName + ", is "
                    + operator.state(run) + " (forkrunner status " + run + " tells why). " + serviceName
                    + " still refuses writes: run the same rename again to resume, or abandon it with"
                    + " forkrunner rename " + serviceName + " " + newName + " --abandon");
        }
        if (!state.equals("repointed")) {
            state = "forked";
            record(newName, serviceName, state, position, run);
        }
        ForkRecord fork = registry.find(newName)
                .orElseThrow(() -> new ForkrunnerException("the fork " + newName + " of run " + run
                        + " is not registered: was it dropped? Abandon this rename with --abandon"));
        List<String> pointed = List.of();
        if (service.pooler() != null && !state.equals("repointed")) {
            pointed = pooling(engine, service)
                    .repoint(
                            service.pooler(),
                            endpoint,
                            new Endpoint(fork.host(), fork.port(), endpoint.user(), endpoint.password()));
            if (pointed.isEmpty()) {
                throw new ForkrunnerException("the pooler " + service.pooler() + " of " + serviceName + " has no pool"
                        + " leading to " + serviceName + " (" + endpoint.host() + ":" + endpoint.port() + ") nor to "
                        + newName + ": no client was moved to " + newName + ". Point its pools at " + fork.host()
                        + ":" + fork.port() + " yourself, or fix the pooler and run the same rename again; "
                        + serviceName + " still refuses writes");
            }
            say.accept("pointed pools " + pointed + " of " + service.pooler() + " at " + newName + " (" + fork.host()
                    + ":" + fork.port() + ")");
        }
        state = "repointed";
        record(newName, serviceName, state, position, run);
        return new Result(
                serviceName,
                newName,
                run,
                state,
                position,
                backupId,
                fork.host(),
                fork.port(),
                fork.poolPort(),
                service.pooler() == null ? null : service.pooler().toString(),
                pointed);
    }

    /** The pooler facet for a service that declares {@code pooler:}. */
    private static Pooling pooling(Engine engine, ServiceDefinition service) {
        return engine.require(engine.pooling(), "pooler: of service " + service.name());
    }

    /** Gives up a rename that has not ended: the service takes writes again; a fork it made stays until dropped. */
    public void abandon(String serviceName, String newName) {
        ServiceDefinition service = definitions
                .current()
                .service(serviceName)
                .orElseThrow(() -> bad("SERVICE", serviceName, "is not a service in config/services.yml"));
        Stage stage = stage(newName)
                .filter(found -> found.service().equals(serviceName))
                .orElseThrow(() -> bad("NEW-NAME", newName, "is not the new name of a rename of " + serviceName));
        if (stage.state().equals("repointed")) {
            throw new ForkrunnerException("the rename of " + serviceName + " to " + newName + " is complete: its"
                    + " pools lead to " + newName + "; there is nothing to abandon");
        }
        try (AdvisoryLock held = hold(
                serviceName,
                newName,
                "Abandoning it now would let " + serviceName + " take writes while that process forks it: wait"
                        + " for it to end, or end that process, then abandon")) {
            Engine engine = engines.of(service);
            engine.require(engine.writeFence(), "a rename of " + serviceName).allow(Endpoint.of(service, secrets));
            jdbc.sql("delete from renames where new_name = :name")
                    .param("name", newName)
                    .update();
            jdbc.sql("delete from rename_holders where new_name = :name")
                    .param("name", newName)
                    .update();
        }
        log.info("rename of {} to {} abandoned: {} takes writes again", serviceName, newName, serviceName);
    }

    private ServiceDefinition check(String serviceName, String newName) {
        ServiceDefinition service = definitions
                .current()
                .service(serviceName)
                .orElseThrow(() -> bad("SERVICE", serviceName, "is not a service in config/services.yml"));
        if (service.onAiven()) {
            throw bad(
                    "SERVICE",
                    serviceName,
                    "is a service on Aiven (type " + service.aiven().type() + "), whose clients reach it by a host"
                            + " name of its own that no pooler of forkrunner's stands in front of, and whose writes"
                            + " forkrunner does not stop: rename it as Aiven says, by stopping its writes, running a"
                            + " job with from: latest and target.name " + newName + ", pointing its clients at"
                            + " the fork, then deleting it on Aiven; nothing was changed");
        }
        if (!Names.valid(newName) || !Names.valid(Jobs.RENAME_PREFIX + newName)) {
            throw bad("NEW-NAME", newName, "is not a valid name (at most 56 characters): " + Names.RULE_TEXT);
        }
        if (definitions.current().service(newName).isPresent()) {
            throw bad("NEW-NAME", newName, "is a service in config/services.yml already");
        }
        boolean ours = stage(newName).isPresent();
        if (!ours
                && (registry.find(newName).isPresent()
                        || provisioner.find(newName).isPresent())) {
            throw bad("NEW-NAME", newName, "is the name of a fork already (forkrunner forks)");
        }
        return service;
    }

    private record Stage(String service, String state, String position) {}

    private Optional<Stage> stage(String newName) {
        return jdbc.sql("select service, state, position from renames where new_name = :name")
                .param("name", newName)
                .query((row, index) ->
                        new Stage(row.getString("service"), row.getString("state"), row.getString("position")))
                .optional();
    }

    private void record(String newName, String service, String state, String position, Long run) {
        Timestamp now = Timestamp.from(clock.instant());
        jdbc.sql("insert into renames (new_name, service, state, position, run_id, started_at, updated_at)"
                        + " values (:name, :service, :state, :position, :run, :now, :now)"
                        + " on conflict (new_name) do update set state = :state, position = :position,"
                        + " run_id = coalesce(:run, renames.run_id), updated_at = :now")
                .param("name", newName)
                .param("service", service)
                .param("state", state)
                .param("position", position)
                .param("run", run)
                .param("now", now)
                .update();
    }

    private static BadInputException bad(String field, String value, String why) {
        return new BadInputException(new Problem("command line", 0, field, value, why, List.of()));
    }
}
