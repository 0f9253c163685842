package io.forkrunner.fork;

import io.forkrunner.backup.BackupKeeper;
import io.forkrunner.definition.Definitions;
import io.forkrunner.definition.JobDefinition;
import io.forkrunner.definition.LiveDefinitions;
import io.forkrunner.definition.ServiceDefinition;
import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.Engine;
import io.forkrunner.engine.Engines;
import io.forkrunner.engine.GeneratedLogin;
import io.forkrunner.engine.Place;
import io.forkrunner.engine.SecurityConfiguration;
import io.forkrunner.provision.Instance;
import io.forkrunner.provision.Provisioner;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.Home;
import io.forkrunner.system.ProcessRunner;
import io.forkrunner.system.Secrets;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.stereotype.Component;

/** What the steps of a fork run work with: the definitions, the engines, the provisioner, the backups, the registry. */
@Component
class ForkServices {

    private final Home home;
    private final LiveDefinitions definitions;
    private final Engines engines;
    private final Provisioner provisioner;
    private final BackupKeeper backups;
    private final ForkRegistry registry;
    private final Secrets secrets;
    private final ProcessRunner runner;
    private final JobRepository jobRepository;
    private final Clock clock;
    private final Jobs jobs;
    private final StopReasons stopReasons;

    ForkServices(
            Home home,
            LiveDefinitions definitions,
            Engines engines,
            Provisioner provisioner,
            BackupKeeper backups,
            ForkRegistry registry,
            Secrets secrets,
            ProcessRunner runner,
            JobRepository jobRepository,
            Clock clock,
            Jobs jobs,
            StopReasons stopReasons) {
        this.home = home;
        this.definitions = definitions;
        this.engines = engines;
        this.provisioner = provisioner;
        this.backups = backups;
        this.registry = registry;
        this.secrets = secrets;
        this.runner = runner;
        this.jobRepository = jobRepository;
        this.clock = clock;
        this.jobs = jobs;
        this.stopReasons = stopReasons;
    }

    StopReasons stopReasons() {
        return stopReasons;
    }

    Jobs jobs() {
        return jobs;
    }

    Home home() {
        return home;
    }

    Definitions definitions() {
        return definitions.current();
    }

    Provisioner provisioner() {
        return provisioner;
    }

    BackupKeeper backups() {
        return backups;
    }

    ForkRegistry registry() {
        return registry;
    }

    ProcessRunner runner() {
        return runner;
    }

    JobRepository jobRepository() {
        return jobRepository;
    }

    Clock clock() {
        return clock;
    }

    ServiceDefinition source(ForkPlan plan) {
        return definitions
                .current()
                .service(plan.source())
                .orElseThrow(() -> new ForkrunnerException("service " + plan.source() + " is no longer declared"));
    }

    /** The engine of the fork: its source's, unless its job makes it with another ({@code target.engine}). */
    Engine engine(ForkPlan plan) {
        return plan.engine() == null ? engines.of(source(plan)) : engines.named(plan.engine());
    }

    /** The engine called {@code name}, such as {@code postgresql}. */
    Engine engineNamed(String name) {
        return engines.named(name);
    }

    Engine engineOf(ServiceDefinition service) {
        return engines.of(service);
    }

    /** The source's login, which its backups carry: a fork run logs in to its restores with it, never to the source. */
    Endpoint sourceEndpoint(ForkPlan plan) {
        return Endpoint.of(source(plan), secrets);
    }

    Instance instance(ForkPlan plan) {
        return provisioner
                .find(plan.fork())
                .orElseThrow(() -> new ForkrunnerException("the instance of fork " + plan.fork() + " is gone"));
    }

    /**
     * The fork's own single sign-on as the job gives it, secrets revealed; null when the job gives none or says
     * {@code sso: later}.
     */
    SecurityConfiguration.SingleSignOn singleSignOn(JobDefinition job) {
        JobDefinition.Sso sso = job.sso();
        if (sso == null || sso.later()) {
            return null;
        }
        Map<String, String> settings = new LinkedHashMap<>(sso.settings());
        sso.secrets()
                .forEach((key, reference) ->
                        settings.put(key, secrets.resolve(reference).reveal()));
        return new SecurityConfiguration.SingleSignOn(sso.kind(), settings);
    }

    Place place(ForkPlan plan) {
        return instance(plan).place();
    }

    /**
     * How forkrunner logs in to the fork: with the source's login, which the restored fork carries, and its password or,
     * where it has none, the one generated for the fork ({@link GeneratedLogin}); in an existing server, with that
     * server's login.
     */
    Endpoint forkEndpoint(ForkPlan plan) {
        if (plan.intoServer()) {
            return serverEndpoint(plan);
        }
        Instance instance = instance(plan);
        return GeneratedLogin.of(sourceEndpoint(plan), instance.host(), instance.port(), instance.directory());
    }

    /**
     * The source's login at {@code instance}, as the engine restores or creates it: without a password where the
     * source's login has none, which has the engine generate one.
     */
    Endpoint restoreLogin(ForkPlan plan, Instance instance) {
        Endpoint source = sourceEndpoint(plan);
        return new Endpoint(instance.host(), instance.port(), source.user(), source.password());
    }

    /** The existing server a fork is made in as a new database. */
    Endpoint serverEndpoint(ForkPlan plan) {
        ServiceDefinition server = definitions
                .current()
                .service(plan.server())
                .orElseThrow(() -> new ForkrunnerException("service " + plan.server() + " is no longer declared"));
        return endpoint(server);
    }

    Endpoint endpoint(ServiceDefinition service) {
        return Endpoint.of(service, secrets);
    }

    /** The fork's database where the job's checks and sql integrations run. */
    String database(ForkPlan plan, JobDefinition job) {
        return plan.intoServer() ? plan.database() : ForkDatabase.of(job, source(plan), engine(plan));
    }
}
