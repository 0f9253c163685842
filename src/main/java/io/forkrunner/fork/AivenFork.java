package io.forkrunner.fork;

import io.forkrunner.definition.JobDefinition;
import io.forkrunner.definition.PointInTime;
import io.forkrunner.definition.Region;
import io.forkrunner.definition.ServiceDefinition;
import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.Engine;
import io.forkrunner.provision.aiven.AivenApi;
import io.forkrunner.provision.aiven.AivenApiException;
import io.forkrunner.provision.aiven.AivenClient;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.Secret;
import io.forkrunner.system.Secrets;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.StreamSupport;
import org.springframework.stereotype.Component;
import org.springframework.util.function.SingletonSupplier;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The steps of a fork of a service on Aiven, made by the Aiven API: pick backup reads the source's backups and
 * point-in-time window; provision asks Aiven for a new service forked from it, tagged with the run, and keeps its name
 * (a restart after the request adopts the service carrying its run's tag, never asking for a second); restore data
 * waits until Aiven has it RUNNING, reporting the restore's progress and failing when it stalls; configuration, users
 * and pools are Aiven's to copy, and the run checks the users and pools; verify checks its state and node count;
 * register records its host and port, never a password.
 */
@Component
class AivenFork {

    /** Aiven's format of {@code recovery_target_time}, in UTC. */
    static final DateTimeFormatter RECOVERY_TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Set<String> POINT_IN_TIME = Set.of("pg", "mysql");
    private static final Duration FIRST_POLL = Duration.ofSeconds(1);
    private static final Duration LONGEST_POLL = Duration.ofSeconds(30);

    private final List<ForkStep> steps;
    private final Pick pick;
    private final ForkServices services;

    AivenFork(
            ForkServices services, AivenApi api, ForkRetention retention, Integrations integrations, Secrets secrets) {
        this.services = services;
        this.pick = new Pick(services, api);
        this.steps = List.of(
                pick,
                new Create(services, api),
                new AwaitRunning(services, api),
                new ByAiven(services, "copy-configuration", "configuration"),
                new CheckUsersAndPools(services, api),
                new MakeIntegrations(services, api, secrets, integrations),
                new Check(services, api),
                new Record(services, api, retention, integrations));
    }

    /** The steps, named as every fork run's. */
    List<ForkStep> steps() {
        return steps;
    }

    /**
     * The calls a run of {@code job} to {@code at} would make, for {@code run --dry-run}: the reads of pick backup are
     * made, to decide; nothing else is. Secrets are shown as their references.
     */
    List<String> dryRun(JobDefinition job, String at) {
        Decision decision = pick.decide(job, at, 0, services.clock().instant());
        ServiceDefinition source = services.definitions().requireService(job.source());
        String sourcePath = AivenApi.service(source.aiven().project(), source.name());
        String fork = decision.plan().fork();
        String forkPath = AivenApi.service(decision.request().project(), fork);
        List<String> lines = new ArrayList<>();
        lines.add("read now, to decide:");
        lines.add("  GET " + sourcePath);
        lines.add("  GET " + sourcePath + "/backups");
        if (source.aiven().type().equals("cassandra")) {
            lines.add("  GET /v1/project/" + decision.request().project() + "/service_types");
        }
        lines.add("the fork would hold: " + decision.holds());
        lines.add("a run would call (run id 0 stands for its own):");
        lines.add("  POST /v1/project/" + decision.request().project() + "/service "
                + JSON.writeValueAsString(decision.request().body()));
        lines.add("  GET " + forkPath + " every 1 to 30 s until it is RUNNING");
        lines.add("  GET " + sourcePath + " and GET " + forkPath + ": users and pools compared");
        if (!job.copyUsers()) {
            lines.add("  PUT " + forkPath + "/user/USER {\"operation\":\"reset-credentials\"} for each user of the"
                    + " fork");
        }
        if (!job.checks().isEmpty()
                || !job.tests().isEmpty()
                || job.integrations().stream().anyMatch(JobDefinition.SqlIntegration.class::isInstance)) {
            lines.add("  GET /v1/project/" + decision.request().project()
                    + "/kms/ca: the authority the fork's certificate is verified against when it is queried");
        }
        for (JobDefinition.Integration integration : job.integrations()) {
            if (integration instanceof JobDefinition.AivenIntegration aiven) {
                lines.add("  GET " + forkPath + "/integration, then unless it is there: POST /v1/project/"
                        + decision.request().project() + "/integration "
                        + JSON.writeValueAsString(aiven.request(fork)));
            } else if (integration instanceof JobDefinition.SqlIntegration file) {
                lines.add("  then the job's " + source.aiven().language().orElse("sql") + " integration "
                        + services.home().relative(file.file()) + ", run on the fork through the login the API gives");
            } else {
                lines.add("  then the job's "
                        + integration
                                .getClass()
                                .getSimpleName()
                                .replace("Integration", "")
                                .toLowerCase(Locale.ROOT) + " integration, told of the fork's host and port");
            }
        }
        JobDefinition.Sso sso = job.target().aiven().sso();
        if (sso != null && !sso.later()) {
            Map<String, Object> settings = new LinkedHashMap<>(sso.settings());
            sso.secrets().forEach((key, reference) -> settings.put(key, reference.toString()));
            settings.put("enabled", true);
            lines.add("  PUT " + forkPath + " "
                    + JSON.writeValueAsString(Map.of("user_config", Map.of(sso.kind(), settings))));
        }
        lines.add("  GET " + forkPath + ": its state and nodes verified"
                + (job.checks().isEmpty() && job.tests().isEmpty()
                        ? ""
                        : ", the job's " + job.checks().size() + " checks and "
                                + job.tests().size() + " tests run through the login it gives")
                + ", its host and port registered");
        return lines;
    }

    /** What provision asks Aiven for, decided once by pick backup. */
    record Request(String project, Map<String, Object> body) {}

    /** What pick backup decides: the request, the run's plan, what the fork holds and the source's SSO. */
    record Decision(Request request, ForkPlan plan, String holds, String sourceSso) {}

    private static AivenClient sourceClient(ForkServices services, AivenApi api, ServiceDefinition source) {
        return api.client(services.definitions().region(source.region()));
    }

    private static Region targetRegion(ForkServices services, ForkPlan plan) {
        return services.definitions().region(plan.region());
    }

    /** A step of a fork on Aiven: it calls the API, and finds the fork as provision asked for it. */
    private abstract static class AivenStep extends ForkStep {

        final AivenApi api;

        AivenStep(String name, ForkServices services, AivenApi api) {
            super(name, services);
            this.api = api;
        }

        /** What provision asks for, as pick backup decided it. */
        static Request request(Run run) {
            return run.kept("aiven.request", Request.class);
        }

        /** The API of the region the fork is made in. */
        AivenClient forkClient(Run run) {
            return api.client(targetRegion(services, run.plan()));
        }

        static String forkPath(Run run) {
            return AivenApi.service(request(run).project(), run.plan().fork());
        }

        /** The fork as the API shows it now. */
        JsonNode fork(Run run) {
            return forkClient(run).get(forkPath(run)).path("service");
        }

        /**
         * The fork's login from the API ({@code service_uri_params}, else its primary user), to query a fork of a type
         * forkrunner queries: the password is held for the queries only, never reported or logged. The connection uses
         * TLS, as Aiven's servers require, and the server's certificate must be signed by the project's certificate
         * authority, which the API gives ({@code GET /v1/project/{project}/kms/ca}), and name the fork's host.
         */
        Endpoint login(Run run, JsonNode fork) {
            ForkPlan plan = run.plan();
            Integrations.Address address = address(plan, fork);
            JsonNode params = fork.path("service_uri_params");
            JsonNode primary = StreamSupport.stream(fork.path("users").spliterator(), false)
                    .filter(user -> user.path("type").asString("").equals("primary"))
                    .findFirst()
                    .orElse(JSON.createObjectNode());
            String user = params.path("user").asString(primary.path("username").asString(""));
            String password =
                    params.path("password").asString(primary.path("password").asString(""));
            if (user.isEmpty() || password.isEmpty()) {
                throw new ForkrunnerException("Aiven gave fork " + plan.fork()
                        + " no user and password to check it with" + " (service_uri_params, users)");
            }
            return new Endpoint(address.host(), address.port(), user, new Secret(password))
                    .verifiedBy(certificateAuthority(run));
        }

        /** The PEM certificate of the authority that signs the certificates of the services of the fork's project. */
        String certificateAuthority(Run run) {
            String project = request(run).project();
            String pem = forkClient(run)
                    .get("/v1/project/" + AivenClient.segment(project) + "/kms/ca")
                    .path("certificate")
                    .asString("");
            if (!pem.contains("-----BEGIN CERTIFICATE-----")) {
                throw new ForkrunnerException("Aiven gave project " + project + " no certificate authority (kms/ca) to"
                        + " verify the certificate of fork " + run.plan().fork() + " with");
            }
            return pem;
        }
    }

    private static final class Pick extends AivenStep {

        Pick(ForkServices services, AivenApi api) {
            super("pick-backup", services, api);
        }

        @Override
        void execute(Run run) {
            if (run.hasPlan()) {
                return;
            }
            Decision decision = decide(
                    run.job(),
                    run.parameter("at"),
                    run.runId(),
                    services.clock().instant());
            run.report("holds", decision.holds());
            run.keep("aiven.source-sso", decision.sourceSso());
            run.keep("aiven.request", decision.request());
            run.plan(decision.plan());
        }

        /**
         * What run {@code runId} of {@code job} forks, to {@code at} (or the job's from): the backup or time, and the
         * request that asks Aiven for it. Only reads from the API.
         */
        Decision decide(JobDefinition job, String at, long runId, Instant now) {
            ServiceDefinition source = services.definitions().requireService(job.source());
            String type = source.aiven().type();
            String project = source.aiven().project();
            AivenClient client = sourceClient(services, api, source);
            String path = AivenApi.service(project, source.name());
            JsonNode service;
            try {
                service = client.get(path).path("service");
            } catch (AivenApiException e) {
                if (e.notFound()) {
                    throw new ForkrunnerException(
                            "service " + source.name() + " is not in Aiven project " + project + ": " + e.getMessage());
                }
                throw e;
            }
            JsonNode listed = client.get(path + "/backups");
            List<JsonNode> backups = StreamSupport.stream(listed.path("backups").spliterator(), false)
                    .filter(backup -> backup.hasNonNull("backup_time"))
                    .sorted(Comparator.comparing(
                            backup -> Instant.parse(backup.path("backup_time").asString())))
                    .toList();
            if (backups.isEmpty()) {
                throw new ForkrunnerException("service " + source.name() + " has no backup on Aiven yet, and Aiven"
                        + " forks a service only from a backup: fork it once its first backup is taken");
            }
            PointInTime point = at == null
                    ? job.from()
                    : PointInTime.parse(at).orElseThrow(() -> new ForkrunnerException("--at " + at + " is not a time"));
            Instant asked = point.resolve(now).orElse(null);
            Map<String, Object> userConfig = new LinkedHashMap<>();
            userConfig.put("service_to_fork_from", source.name());
            Region target = services.definitions().region(job.target().region());
            if (!target.aiven().project().equals(project)) {
                userConfig.put("project_to_fork_from", project);
            }
            Instant holds;
            String backupId;
            String holdsText;
            if (POINT_IN_TIME.contains(type)) {
                JsonNode window = listed.path("pitr").path("primary_region");
                if (!window.hasNonNull("pitr_range_start")) {
                    throw new ForkrunnerException("service " + source.name() + " has no backup usable for a"
                            + " point-in-time fork on Aiven yet (its pitr_range_start is empty)");
                }
                Instant from = Instant.parse(window.path("pitr_range_start").asString());
                Instant to = window.hasNonNull("pitr_range_end")
                        ? Instant.parse(window.path("pitr_range_end").asString())
                        : now;
                if (asked == null) {
                    holds = to;
                    backupId = "latest";
                    holdsText = "the latest transaction of " + source.name() + " Aiven has (" + to + ")";
                } else {
                    if (asked.isBefore(from) || asked.isAfter(to)) {
                        throw new ForkrunnerException(point + " (" + asked + ") is outside the point-in-time window"
                                + " of " + source.name() + " on Aiven: " + from + " to " + to
                                + ". Fork to a time inside it (run " + job.name() + " --at TIME), or to latest");
                    }
                    holds = asked;
                    backupId = "pitr";
                    userConfig.put("recovery_target_time", RECOVERY_TIME.format(asked));
                    holdsText = "point in time " + asked + " of " + source.name() + " (recovery_target_time "
                            + RECOVERY_TIME.format(asked) + " UTC)";
                }
            } else {
                JsonNode newest = backups.get(backups.size() - 1);
                JsonNode chosen = asked == null
                        ? newest
                        : backups.stream()
                                .filter(backup -> !Instant.parse(
                                                backup.path("backup_time").asString())
                                        .isAfter(asked))
                                .reduce((first, second) -> second)
                                .orElseThrow(() -> new ForkrunnerException(point + " (" + asked + ") is before the"
                                        + " oldest backup of " + source.name() + " on Aiven, "
                                        + backups.get(0).path("backup_name").asString() + " taken at "
                                        + backups.get(0).path("backup_time").asString()
                                        + ": it has no point-in-time recovery, so a fork holds a backup's moment"));
                backupId = chosen.path("backup_name").asString();
                holds = Instant.parse(chosen.path("backup_time").asString());
                if (type.equals("m3db")) {
                    if (chosen != newest) {
                        throw new ForkrunnerException("Aiven forks an M3DB service only from its newest backup, "
                                + newest.path("backup_name").asString() + " taken at "
                                + newest.path("backup_time").asString() + "; " + point + " (" + asked
                                + ") asks for an older one");
                    }
                } else {
                    userConfig.put("recovery_basebackup_name", backupId);
                }
                holdsText = ("backup " + backupId + " taken at " + holds + ", the newest"
                        + (asked == null ? "" : " taken at or before " + asked) + ": " + source.name()
                        + " (" + type
                        + ") has no point-in-time recovery on Aiven, so a fork holds a backup's moment");
            }
            JobDefinition.AivenTarget wanted = job.target().aiven();
            String sso = sourceSso(service);
            if (sso != null && wanted.sso() == null) {
                throw new ForkrunnerException("service " + source.name() + " has " + sso.toUpperCase(Locale.ROOT)
                        + " single sign-on enabled, whose settings name its own URLs and are not carried to a fork:"
                        + " give the fork its own in jobs/" + job.name() + ".yml (sso: { " + sso + ": ... }), or say"
                        + " sso: later to make the fork with single sign-on off and set it afterwards");
            }
            if (type.equals("cassandra")) {
                refuseFewerNodes(services, job, source, service, wanted);
            }
            String fork = PickBackup.fill(job.target().name(), job, runId, now);
            if (services.registry().find(fork).isPresent()) {
                throw new ForkrunnerException("a fork named " + fork + " exists already: drop it (forkrunner drop "
                        + fork + ") or make target.name of jobs/" + job.name() + ".yml unique with {time} or {run}");
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("service_name", fork);
            body.put("service_type", type);
            body.put("plan", wanted.plan());
            body.put("cloud", wanted.cloud());
            if (wanted.diskSpaceMb() != null) {
                body.put("disk_space_mb", wanted.diskSpaceMb());
            }
            body.put("tags", AivenApi.tags(wanted.tags(), job.name(), runId));
            body.put("user_config", userConfig);
            return new Decision(
                    new Request(target.aiven().project(), body),
                    new ForkPlan(
                            job.name(),
                            source.name(),
                            fork,
                            target.name(),
                            0,
                            0,
                            point.toString(),
                            holds,
                            backupId,
                            null,
                            null,
                            POINT_IN_TIME.contains(type),
                            now,
                            null,
                            null,
                            null,
                            null,
                            null),
                    holdsText,
                    sso == null ? "none" : sso);
        }

        /** The single sign-on the source has enabled, {@code saml} or {@code openid}; null when none. */
        private static String sourceSso(JsonNode service) {
            for (String kind : List.of("saml", "openid")) {
                if (service.path("user_config").path(kind).path("enabled").asBoolean(false)) {
                    return kind;
                }
            }
            return null;
        }

        /** Refuses a Cassandra fork onto a plan of fewer nodes than the source has, naming both counts. */
        private void refuseFewerNodes(
                ForkServices services,
                JobDefinition job,
                ServiceDefinition source,
                JsonNode service,
                JobDefinition.AivenTarget wanted) {
            int sourceNodes = service.path("node_count").asInt(0);
            Region target = services.definitions().region(job.target().region());
            Integer targetNodes = AivenApi.planNodes(
                            api.client(target), target.aiven().project(), "cassandra")
                    .get(wanted.plan());
            if (targetNodes == null) {
                throw new ForkrunnerException("Aiven has no Cassandra plan " + wanted.plan() + " in project "
                        + target.aiven().project());
            }
            if (targetNodes < sourceNodes) {
                throw new ForkrunnerException("jobs/" + job.name() + ".yml forks Cassandra service " + source.name()
                        + " of " + sourceNodes + " nodes onto plan " + wanted.plan() + " of " + targetNodes
                        + ": a node's data belongs to the token ranges it owned, so a fork to fewer nodes would lose"
                        + " data; choose a plan of at least " + sourceNodes + " nodes");
            }
        }
    }

    private static final class Create extends AivenStep {

        Create(ForkServices services, AivenApi api) {
            super("provision", services, api);
        }

        @Override
        void execute(Run run) {
            ForkPlan plan = run.plan();
            Request request = request(run);
            if (run.reached("created")) {
                return;
            }
            AivenClient client = forkClient(run);
            try {
                client.post("/v1/project/" + AivenClient.segment(request.project()) + "/service", request.body());
                run.report("service", plan.fork() + " in Aiven project " + request.project() + " (asked for)");
            } catch (AivenApiException e) {
                if (!e.alreadyExists()) {
                    throw e;
                }
                JsonNode existing = fork(run);
                String tag = existing.path("tags").path(AivenApi.RUN_TAG).asString("");
                if (!tag.equals(String.valueOf(run.runId()))) {
                    throw new ForkrunnerException("a service named " + plan.fork() + " exists already in Aiven"
                            + " project " + request.project() + " and was not made by this run (its "
                            + AivenApi.RUN_TAG + " tag is \"" + tag + "\"): make target.name of jobs/"
                            + plan.job() + ".yml unique with {time} or {run}");
                }
                run.report(
                        "service",
                        plan.fork() + " in Aiven project " + request.project()
                                + " (adopted: asked for before the run was interrupted)");
            }
            run.checkpoint("created");
        }
    }

    private static final class AwaitRunning extends AivenStep {

        AwaitRunning(ForkServices services, AivenApi api) {
            super("restore-data", services, api);
        }

        @Override
        void execute(Run run) throws InterruptedException {
            ForkPlan plan = run.plan();
            Duration stall = targetRegion(services, plan).aiven().stall();
            String seen = null;
            Instant changed = services.clock().instant();
            Duration poll = FIRST_POLL;
            while (true) {
                JsonNode service = fork(run);
                String state = service.path("state").asString("");
                if (state.equals("RUNNING")) {
                    run.report("state", "RUNNING");
                    return;
                }
                String now = state + " " + progress(run, service);
                Instant at = services.clock().instant();
                if (!now.equals(seen)) {
                    seen = now;
                    changed = at;
                    run.report("state", now);
                } else if (Duration.between(changed, at).compareTo(stall) >= 0) {
                    throw new ForkrunnerException("the restore of " + plan.fork() + " on Aiven has not moved for "
                            + stall + " (the region's stall): last seen " + seen);
                }
                Thread.sleep(poll.toMillis());
                poll = poll.multipliedBy(3).dividedBy(2);
                if (poll.compareTo(LONGEST_POLL) > 0) {
                    poll = LONGEST_POLL;
                }
            }
        }

        /**
         * What the nodes' progress updates say: for each node, its current phase (the last not completed) and how far
         * it is; phases may be missing and maxima may change, so nothing is assumed of the next.
         */
        private static String progress(Run run, JsonNode service) {
            List<String> nodes = new ArrayList<>();
            long done = 0;
            long total = 0;
            for (JsonNode node : service.path("node_states")) {
                JsonNode current = null;
                for (JsonNode update : node.path("progress_updates")) {
                    if (!update.path("completed").asBoolean(false)) {
                        current = update;
                    }
                }
                String name = node.path("name").asString(node.path("node_name").asString("node"));
                if (current == null) {
                    nodes.add(name + " " + node.path("state").asString(""));
                    continue;
                }
                long min = current.path("min").asLong(0);
                long max = current.path("max").asLong(0);
                long at = current.path("current").asLong(min);
                String unit = current.path("unit").asString("");
                nodes.add(name + " " + current.path("phase").asString("") + " " + at + (max > min ? "/" + max : "")
                        + (unit.isEmpty() ? "" : " " + unit));
                if (max > min) {
                    done += Math.max(0, at - min);
                    total += max - min;
                }
            }
            String text = String.join(", ", nodes);
            run.progress().report("restore on Aiven: " + text, done, total);
            return text;
        }
    }

    /** A step whose work Aiven does in the fork itself; it says so. */
    private static final class ByAiven extends ForkStep {

        private final String what;

        ByAiven(ForkServices services, String name, String what) {
            super(name, services);
            this.what = what;
        }

        @Override
        void execute(Run run) {
            run.report(what, "copied by Aiven into the fork");
        }
    }

    /**
     * The job's Aiven integrations, made for the fork now that it runs (Aiven copies none of the source's). Each is
     * counted done once made; a restart skips those done, and one the fork has already (made before a kill).
     */
    private static final class MakeIntegrations extends AivenStep {
        private final Secrets secrets;
        private final Integrations integrations;

        MakeIntegrations(ForkServices services, AivenApi api, Secrets secrets, Integrations integrations) {
            super("reapply-integrations", services, api);
            this.secrets = secrets;
            this.integrations = integrations;
        }

        @Override
        void execute(Run run) {
            ForkPlan plan = run.plan();
            Request request = request(run);
            List<JobDefinition.Integration> declared = run.job().integrations();
            String recorded = run.reported("done");
            int done = recorded == null ? 0 : Integer.parseInt(recorded);
            AivenClient client = forkClient(run);
            String project = AivenClient.segment(request.project());
            // read once, when an integration of forkrunner's own is the first to need its address or login
            SingletonSupplier<JsonNode> fork = SingletonSupplier.of(() -> fork(run));
            // and its login, whose certificate authority is read from the API, once for all its sql integrations
            SingletonSupplier<Endpoint> login = SingletonSupplier.of(() -> login(run, fork.obtain()));
            for (int index = done; index < declared.size(); index++) {
                JobDefinition.Integration integration = declared.get(index);
                if (integration instanceof JobDefinition.AivenIntegration aiven) {
                    make(run, client, project, aiven.request(plan.fork()));
                } else if (integration instanceof JobDefinition.SqlIntegration sql) {
                    queries(services, run)
                            .inspection()
                            .runSql(
                                    login.obtain(),
                                    database(services, run, fork.obtain()),
                                    sql.file(),
                                    integrations.log(run.runId(), index));
                } else {
                    integrations.applyAt(integration, index, plan, run.runId(), address(plan, fork.obtain()));
                }
                run.report("done", String.valueOf(index + 1));
            }
            singleSignOn(run, plan, client, request, secrets);
            run.report(
                    "integrations",
                    declared.isEmpty()
                            ? "none: Aiven copies none of the source's, and the job declares none"
                            : declared.size() + " applied to the fork (those of type aiven made by Aiven);"
                                    + " none of the source's are copied");
        }
    }

    /** Makes the service integration {@code body} of type aiven unless the fork has it (made before a kill). */
    private static void make(ForkStep.Run run, AivenClient client, String project, Map<String, Object> body) {
        JsonNode existing = client.get(AivenStep.forkPath(run) + "/integration").path("service_integrations");
        boolean made = StreamSupport.stream(existing.spliterator(), false)
                .anyMatch(found -> body.entrySet().stream()
                        .filter(entry -> !entry.getKey().equals("user_config"))
                        .allMatch(entry ->
                                found.path(entry.getKey()).asString("").equals(String.valueOf(entry.getValue()))));
        if (!made) {
            client.post("/v1/project/" + project + "/integration", body);
        }
    }

    /**
     * The fork's own single sign-on, set through the API, or, with {@code sso: later} for a source that has one, the
     * run's warning that the fork has none until it is set.
     */
    private static void singleSignOn(
            ForkStep.Run run, ForkPlan plan, AivenClient client, Request request, Secrets secrets) {
        JobDefinition.Sso sso = run.job().target().aiven().sso();
        String sourceSso = run.kept("aiven.source-sso", String.class);
        if (sso == null) {
            return;
        }
        if (sso.later()) {
            if (!"none".equals(sourceSso)) {
                run.report(
                        ForkJobs.WARNING,
                        "SSO must be reconfigured for this fork: " + plan.fork() + " was made"
                                + " with single sign-on off (the source's " + sourceSso
                                + " names the source's URLs); set"
                                + " its own for its URLs, e.g. https://" + plan.fork() + "-" + request.project()
                                + ".aivencloud.com");
            }
            return;
        }
        Map<String, Object> settings = new LinkedHashMap<>(sso.settings());
        sso.secrets()
                .forEach((key, reference) ->
                        settings.put(key, secrets.resolve(reference).reveal()));
        settings.put("enabled", true);
        client.put(AivenStep.forkPath(run), Map.of("user_config", Map.of(sso.kind(), settings)));
        run.report(
                "sso",
                sso.kind() + " set for the fork"
                        + (sso.settings().containsKey("sp_entity_id")
                                ? " (SP entity id " + sso.settings().get("sp_entity_id") + ")"
                                : ""));
    }

    private static final class CheckUsersAndPools extends AivenStep {

        CheckUsersAndPools(ForkServices services, AivenApi api) {
            super("copy-users-and-pools", services, api);
        }

        @Override
        void execute(Run run) {
            ForkPlan plan = run.plan();
            ServiceDefinition source = services.source(plan);
            JsonNode sourceService = sourceClient(services, api, source)
                    .get(AivenApi.service(source.aiven().project(), source.name()))
                    .path("service");
            AivenClient client = forkClient(run);
            String forkPath = forkPath(run);
            JsonNode fork = client.get(forkPath).path("service");
            Set<String> sourceUsers = users(sourceService);
            Set<String> forkUsers = users(fork);
            Set<String> sourcePools = pools(sourceService);
            Set<String> forkPools = pools(fork);
            List<String> differences = new ArrayList<>();
            difference("user", sourceUsers, forkUsers, differences);
            difference("pool", sourcePools, forkPools, differences);
            run.report("users", forkUsers.size() + " (copied by Aiven)");
            run.report("pools", forkPools.size() + " (copied by Aiven)");
            run.report("differences", differences.isEmpty() ? "none" : String.join("; ", differences));
            if (!run.job().copyUsers()) {
                int reset = 0;
                for (JsonNode user : fork.path("users")) {
                    String name = user.path("username").asString();
                    client.put(
                            forkPath + "/user/" + AivenClient.segment(name), Map.of("operation", "reset-credentials"));
                    reset++;
                }
                run.report("passwords", "reset for " + reset + " users (users: none): the source's no longer log in");
            }
        }

        private static Set<String> users(JsonNode service) {
            Set<String> users = new TreeSet<>();
            service.path("users")
                    .forEach(user -> users.add(user.path("username").asString() + " ("
                            + user.path("type").asString("") + ")"));
            return users;
        }

        private static Set<String> pools(JsonNode service) {
            Set<String> pools = new TreeSet<>();
            service.path("connection_pools")
                    .forEach(pool -> pools.add(pool.path("pool_name").asString() + " "
                            + pool.path("database").asString("") + " "
                            + pool.path("username").asString("") + " "
                            + pool.path("pool_mode").asString("") + " "
                            + pool.path("pool_size").asInt()));
            return pools;
        }

        private static void difference(String what, Set<String> source, Set<String> fork, List<String> out) {
            for (String missing : source) {
                if (!fork.contains(missing)) {
                    out.add(what + " " + missing + " of the source is not on the fork");
                }
            }
            for (String extra : fork) {
                if (!source.contains(extra)) {
                    out.add(what + " " + extra + " is on the fork only");
                }
            }
        }
    }

    private static final class Check extends AivenStep {

        Check(ForkServices services, AivenApi api) {
            super("verify", services, api);
        }

        @Override
        void execute(Run run) {
            ForkPlan plan = run.plan();
            JsonNode fork = fork(run);
            String state = fork.path("state").asString("");
            if (!state.equals("RUNNING")) {
                throw new ForkrunnerException("fork " + plan.fork() + " is " + state + " on Aiven, not RUNNING");
            }
            int nodes = fork.path("node_count").asInt(0);
            long running = StreamSupport.stream(fork.path("node_states").spliterator(), false)
                    .filter(node -> node.path("state").asString("").equals("running"))
                    .count();
            if (nodes > 0 && running != nodes) {
                throw new ForkrunnerException(
                        "fork " + plan.fork() + " has " + running + " of its " + nodes + " nodes running on Aiven");
            }
            run.report(
                    "state",
                    "RUNNING, " + nodes + " nodes, plan " + fork.path("plan").asString(""));
            if (!run.job().checks().isEmpty() || !run.job().tests().isEmpty()) {
                List<String> failed = Verify.checksAndTests(
                        run, services, queries(services, run), login(run, fork), database(services, run, fork));
                if (!failed.isEmpty()) {
                    throw new ForkrunnerException(String.join("; ", failed));
                }
            }
        }
    }

    /**
     * How forkrunner queries a fork on Aiven of a type it queries ({@link ServiceDefinition.AivenService#language}): a
     * {@code pg} fork with PostgreSQL's clients, a {@code mysql} one with MariaDB's, a {@code redis} or {@code valkey}
     * one with the Redis engine's own client, a {@code cassandra} one with the Cassandra engine's CQL client, an {@code
     * opensearch} or {@code elasticsearch} one with the search engine's HTTP client.
     */
    private static Engine queries(ForkServices services, ForkStep.Run run) {
        String type = services.source(run.plan()).aiven().type();
        return services.engineNamed(
                switch (type) {
                    case "mysql" -> "mariadb";
                    case "redis", "valkey", "cassandra", "opensearch", "elasticsearch" -> type;
                    default -> "postgresql";
                });
    }

    /**
     * The database the API names for the fork ({@code service_uri_params.dbname}), else Aiven's {@code defaultdb}; for
     * a Redis or Valkey fork, database 0; none for a Cassandra or search fork, whose statements name their keyspaces
     * or indices.
     */
    private static String database(ForkServices services, ForkStep.Run run, JsonNode fork) {
        ServiceDefinition.AivenService source = services.source(run.plan()).aiven();
        if (!source.checked()) {
            return null;
        }
        String otherwise = source.language().orElseThrow().equals("redis") ? "0" : "defaultdb";
        return fork.path("service_uri_params").path("dbname").asString(otherwise);
    }

    /** Where the fork answers, from its {@code service_uri_params} (or its {@code service_uri}); never its password. */
    private static Integrations.Address address(ForkPlan plan, JsonNode fork) {
        URI uri = URI.create(fork.path("service_uri").asString(""));
        String host = fork.path("service_uri_params").path("host").asString(uri.getHost());
        int port = fork.path("service_uri_params").path("port").asInt(uri.getPort());
        if (host == null || host.isEmpty() || port <= 0) {
            throw new ForkrunnerException("Aiven gave fork " + plan.fork() + " no host and port (service_uri)");
        }
        return new Integrations.Address(host, port, null);
    }

    private static final class Record extends AivenStep {
        private final ForkRetention retention;
        private final Integrations integrations;

        Record(ForkServices services, AivenApi api, ForkRetention retention, Integrations integrations) {
            super("register", services, api);
            this.retention = retention;
            this.integrations = integrations;
        }

        @Override
        void execute(Run run) {
            ForkPlan plan = run.plan();
            Integrations.Address address = address(plan, fork(run));
            services.registry()
                    .register(new ForkRecord(
                            plan.fork(),
                            plan.job(),
                            run.runId(),
                            plan.source(),
                            plan.region(),
                            ServiceDefinition.AIVEN,
                            0,
                            plan.target(),
                            plan.backupId(),
                            address.host(),
                            address.port(),
                            null,
                            services.clock().instant(),
                            null,
                            null));
            Register.registered(run, plan, retention, integrations);
        }
    }
}
