package io.forkrunner.definition;

import io.forkrunner.definition.JobDefinition.Integration;
import io.forkrunner.definition.JobDefinition.Notification;
import io.forkrunner.definition.JobDefinition.NotifyOn;
import io.forkrunner.definition.JobDefinition.Threshold;
import io.forkrunner.system.Problem;
import io.forkrunner.system.SecretRef;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.quartz.CronExpression;

/** Reads {@code jobs/*.yml}, one job per file, against the regions and services {@link ServicesReader} read. */
final class JobsReader {

    private static final Predicate<String> DATABASE_NAME =
            Pattern.compile("[a-z_][a-z0-9_-]{0,62}").asMatchPredicate();
    private static final String DATABASE_RULE =
            "must match [a-z_][a-z0-9_-]{0,62}: a lower-case letter or '_', then letters, digits, '_' or '-'";
    /** Aiven's tag keys; forkrunner's own start with {@value JobDefinition.AivenTarget#FORKRUNNER_TAGS}. */
    private static final Pattern TAG_KEY = Pattern.compile("[a-z0-9_:-]{1,64}");

    private static final String FORKRUNNER_TAG_PREFIX = JobDefinition.AivenTarget.FORKRUNNER_TAGS;
    private static final List<String> DATABASE_EXAMPLES = List.of("shop_copy", "shop_{date}", "{job}_{run}");
    private static final List<String> CRON_EXAMPLES =
            List.of("\"0 30 2 * * ?\"", "\"0 0 */6 * * ?\"", "\"0 0 3 ? * MON\"");

    private final Scalars scalars;
    private final Problems problems;
    private final ServicesReader declared;
    private final Map<String, ServiceDefinition> services;

    JobsReader(Scalars scalars, ServicesReader declared) {
        this.scalars = scalars;
        this.problems = scalars.problems;
        this.declared = declared;
        this.services = declared.services;
    }

    Map<String, JobDefinition> read() {
        Map<String, JobDefinition> jobs = new LinkedHashMap<>();
        if (!Files.isDirectory(scalars.home().jobs())) {
            return jobs;
        }
        List<Path> files;
        try (Stream<Path> listing = Files.list(scalars.home().jobs())) {
            files = listing.filter(path -> path.getFileName().toString().endsWith(".yml"))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            problems.add(new Problem(
                    "jobs/", 0, "(directory)", scalars.home().jobs().toString(), "cannot be listed: " + e, List.of()));
            return jobs;
        }
        for (Path path : files) {
            String fileName = path.getFileName().toString();
            String file = "jobs/" + fileName;
            String name = fileName.substring(0, fileName.length() - ".yml".length());
            if (!Names.valid(name)) {
                problems.add(new Problem(
                        file, 0, "(file name)", name, "is not a valid job name: " + Names.RULE_TEXT, Names.EXAMPLES));
            }
            scalars.load(path, file).map(root -> job(name, root)).ifPresent(job -> jobs.put(name, job));
        }
        return jobs;
    }

    private JobDefinition job(String name, Section root) {
        Value description = root.value("description");
        Value source = root.required("source", List.copyOf(services.keySet()));
        declared.checkService(source);
        Value database = root.value("database");
        JobDefinition.Target target = target(name, root.section("target"), services.get(source.text()));
        JobDefinition.Sso sso = root.has("sso") ? sso(root, services.get(source.text())) : null;
        if (sso != null && target != null && target.aiven() != null) {
            target = new JobDefinition.Target(
                    target.name(),
                    target.region(),
                    null,
                    null,
                    null,
                    target.aiven().withSso(sso));
        }
        ServiceDefinition sourceService = services.get(source.text());
        if (sourceService != null && sourceService.onAiven()) {
            ServiceDefinition.AivenService aiven = sourceService.aiven();
            for (String key : List.of("checks", "tests", "database", "events", "pools")) {
                boolean supported = (key.equals("checks") || key.equals("tests")) && aiven.checked();
                if (root.has(key) && !supported) {
                    problems.add(
                            root.keyOf(key),
                            "is not supported yet for a fork on Aiven (service " + sourceService.name()
                                    + " is on Aiven, of type "
                                    + aiven.type() + ")"
                                    + (key.equals("checks") || key.equals("tests")
                                            ? ": forkrunner runs " + key + " on forks on Aiven of types pg, mysql,"
                                                    + " redis and valkey only"
                                            : "")
                                    + ": remove it",
                            List.of());
                }
            }
        }
        if (sourceService != null && sourceService.engine().equals(ServicesReader.CASSANDRA)) {
            for (String key : List.of("checks", "tests", "database", "events", "pools")) {
                if (root.has(key)) {
                    problems.add(
                            root.keyOf(key),
                            "is not applicable to cassandra (service " + sourceService.name() + "): forkrunner"
                                    + " compares a Cassandra fork's schema and roles with its backup and counts its"
                                    + " rows, and Cassandra takes no SQL (its statements run with an integration of"
                                    + " type: cql); remove it",
                            List.of());
                }
            }
        }
        if (sourceService != null && ServicesReader.SEARCH.contains(sourceService.engine())) {
            for (String key : List.of("checks", "tests", "database", "events", "pools")) {
                if (root.has(key)) {
                    problems.add(
                            root.keyOf(key),
                            "is not applicable to " + sourceService.engine() + " (service " + sourceService.name()
                                    + "): forkrunner compares a search fork's indices with its backup, document by"
                                    + " document count, and OpenSearch takes no SQL; remove it",
                            List.of());
                }
            }
        }
        PointInTime from = root.has("from") ? scalars.pointInTime(root.value("from")) : new PointInTime.Latest();
        JobDefinition.Schedule schedule = root.has("schedule") ? schedule(root.section("schedule")) : null;
        Boolean users = root.has("users") ? scalars.copyOrNone(root.value("users")) : Boolean.TRUE;
        Boolean pools = root.has("pools") ? scalars.copyOrNone(root.value("pools")) : Boolean.TRUE;
        if (Boolean.FALSE.equals(users) && Boolean.TRUE.equals(pools) && root.has("pools")) {
            problems.add(
                    root.value("pools"),
                    "needs users: copy, since the pools log in with the source's roles",
                    List.of("copy", "none"));
        }
        Boolean events = root.has("events") ? events(root.value("events"), services.get(source.text())) : Boolean.FALSE;
        if (Boolean.TRUE.equals(events) && target != null && target.server() != null) {
            problems.add(
                    root.value("events"),
                    "has no meaning with target.server: a database made in a server that runs its own work gets the"
                            + " source's events disabled",
                    List.of("off"));
            events = null;
        }
        List<Integration> integrations = root.sections("integrations").stream()
                .map(integration -> integration(integration, services.get(source.text())))
                .toList();
        List<String> checks = root.values("checks").stream()
                .filter(Value::present)
                .map(Value::text)
                .toList();
        List<Path> tests =
                root.values("tests").stream().map(scalars::existingFile).toList();
        JobDefinition.Retention retention = retention(root.section("retention"));
        List<Notification> notifications = notifications(root.sections("notifications"));
        root.finish();
        boolean complete = Names.valid(name)
                && source.present()
                && services.containsKey(source.text())
                && target != null
                && from != null
                && (schedule != null || !root.has("schedule"))
                && users != null
                && pools != null
                && events != null
                && !integrations.contains(null)
                && retention != null
                && !tests.contains(null)
                && !notifications.contains(null);
        return complete
                ? new JobDefinition(
                        name,
                        description.text(),
                        source.text(),
                        database.text(),
                        target,
                        from,
                        schedule,
                        users,
                        pools,
                        integrations,
                        checks,
                        tests,
                        events,
                        retention,
                        notifications,
                        target != null && target.aiven() == null ? sso : null)
                : null;
    }

    /** {@code events: on|off}: on only for a source whose server runs scheduled events of its own (MariaDB). */
    private Boolean events(Value value, ServiceDefinition source) {
        Boolean on = scalars.onOrOff(value);
        if (Boolean.TRUE.equals(on) && source != null && !ServicesReader.SCHEDULED_EVENTS.contains(source.engine())) {
            problems.add(
                    value,
                    "is not applicable to service " + source.name() + ": its engine " + source.engine()
                            + " has no event scheduler (events: on is for MariaDB and MySQL services)",
                    List.of("off"));
            return null;
        }
        return on;
    }

    private JobDefinition.Target target(String job, Section section, ServiceDefinition source) {

        Value nameValue = section.required("name", List.of("shop-dev-{date}", "{job}-{run}"));
        Value regionValue = section.value("region");
        String region = null;
        if (regionValue.present()) {
            region = declared.checkRegion(regionValue) ? regionValue.text() : null;
        } else if (source != null) {
            region = source.region();
        }
        Region where = region == null ? null : declared.regions.get(region);
        if (where != null && where.onAiven()) {
            return aivenTarget(job, section, nameValue, regionValue, where, source);
        }
        if (where != null && source != null && source.onAiven()) {
            problems.add(
                    regionValue,
                    "is a region of forkrunner's own; service " + source.name() + " is on Aiven, which forks it into"
                            + " a region on Aiven",
                    declared.regions.values().stream()
                            .filter(Region::onAiven)
                            .map(Region::name)
                            .toList());
            region = null;
        }
        String name = nameValue.present()
                ? targetName(job, nameValue, Names::valid, Names.RULE_TEXT, List.of("shop-dev-{date}", "{job}-{run}"))
                : null;
        Value serverValue = section.value("server");
        Value databaseValue = section.value("database");
        String server = null;
        String database = null;
        if (serverValue.present()) {
            if (declared.checkService(serverValue)) {
                server = serverValue.text();
                ServiceDefinition declared = services.get(server);
                region = declared == null ? null : declared.region();
                if (declared != null && source != null && !declared.engine().equals(source.engine())) {
                    problems.add(
                            serverValue,
                            "is a " + declared.engine() + " service; the source " + source.name() + " is "
                                    + source.engine(),
                            List.of(source.name()));
                    server = null;
                }
            }
            if (!databaseValue.present()) {
                problems.add(serverValue, "needs target.database: the new database on it", List.of("shop_copy"));
            }
            for (String meaningless : List.of("region", "version")) {
                if (section.has(meaningless)) {
                    problems.add(
                            section.value(meaningless),
                            "has no meaning with target.server: the fork lives in that server",
                            List.of("server: reports", "database: shop_{date}"));
                }
            }
        }
        if (databaseValue.present()) {
            if (!serverValue.present()) {
                problems.add(databaseValue, "needs target.server: the service it is made in", List.of("reports"));
            } else {
                database = targetName(job, databaseValue, DATABASE_NAME, DATABASE_RULE, DATABASE_EXAMPLES);
            }
        }
        Value engineValue = section.value("engine");
        String engine = null;
        if (engineValue.present()) {
            if (engineValue.text().equals("opensearch")
                    && source != null
                    && source.engine().equals("elasticsearch")) {
                engine = engineValue.text();
            } else {
                problems.add(
                        engineValue,
                        "is not an engine this fork can be made with: a fork keeps its source's engine, but one of an"
                                + " elasticsearch service may be made into opensearch",
                        List.of("opensearch"));
            }
        }
        Integer nodes = targetNodes(section, source);
        Integer version = null;
        if (section.has("version")) {

            Value versionValue = section.value("version");
            version = scalars.integer(versionValue, List.of("15", "17"));
            if (version != null && (version < 10 || version > 30)) {
                problems.add(versionValue, "is not a PostgreSQL major version", List.of("15", "17"));
                version = null;
            }
        }
        section.finish();
        boolean complete = name != null
                && region != null
                && (version != null || !section.has("version"))
                && (engine != null || !engineValue.present())
                && (nodes != null || !section.has("nodes"))
                && (server != null) == serverValue.present()
                && (database != null) == serverValue.present()
                && !(serverValue.present() && (section.has("region") || section.has("version")));
        return complete ? new JobDefinition.Target(name, region, version, server, database, null, engine, nodes) : null;
    }

    /**
     * The {@code target.nodes} of a fork of a Cassandra or search service: never fewer than its source's, since a
     * Cassandra node's files hold the token ranges it owned and a search data node shards the others may lack (more
     * Cassandra nodes are loaded through the bulk loader). A search service declares no nodes: its backups record how
     * many data nodes it had, and pick-backup refuses fewer. Null when absent or refused.
     */
    private Integer targetNodes(Section section, ServiceDefinition source) {
        if (!section.has("nodes")) {
            return null;
        }
        Value value = section.value("nodes");
        boolean search = source != null && ServicesReader.SEARCH.contains(source.engine());
        if (source != null && !search && !source.engine().equals(ServicesReader.CASSANDRA)) {
            problems.add(
                    value,
                    "is for forks of Cassandra and search services, whose clusters have several nodes; " + source.name()
                            + " is " + source.engine(),
                    List.of());
            return null;
        }
        Integer nodes = scalars.integer(value, List.of("3"));
        if (nodes == null || source == null) {
            return null;
        }
        if (nodes < 1) {
            problems.add(value, "is no number of nodes: a cluster has at least one", List.of("1", "3"));
            return null;
        }
        if (search) {
            return nodes;
        }
        int sourceNodes = source.nodes().size();
        if (nodes < sourceNodes) {
            problems.add(
                    value,
                    "is fewer nodes than the source " + source.name() + " has (" + sourceNodes + "): a fork of " + nodes
                            + " would lose the rows of the token ranges its missing nodes owned",
                    List.of(String.valueOf(sourceNodes)));
            return null;
        }
        return nodes;
    }

    /**
     * The target of a fork on Aiven: a name Aiven accepts, the plan, cloud, disk size and tags it is made with. Aiven
     * forks a service of its own into its project, keeping its version; a server of forkrunner's is no target there.
     */
    private JobDefinition.Target aivenTarget(
            String job, Section section, Value nameValue, Value regionValue, Region where, ServiceDefinition source) {
        List<String> examples = List.of("shop-dev-{date}", "{job}-{run}");
        String name = nameValue.present()
                ? targetName(
                        job,
                        nameValue,
                        sample -> AivenAccount.NAME.matcher(sample).matches(),
                        AivenAccount.NAME_RULE.replace("must be", "is"),
                        examples)
                : null;
        boolean valid = true;
        if (source != null && !source.onAiven()) {
            problems.add(
                    regionValue.present() ? regionValue : nameValue,
                    "is a region on Aiven; service " + source.name() + " is not on Aiven, and Aiven forks only its own"
                            + " services",
                    List.of(source.region()));
            valid = false;
        }
        for (String key : List.of("server", "database", "version")) {
            if (section.has(key)) {
                problems.add(
                        section.keyOf(key),
                        "is not for a fork on Aiven, which makes a new service of the source's version; remove it",
                        List.of());
                valid = false;
            }
        }
        Value planValue = section.value("plan");
        Value cloudValue = section.value("cloud");
        Integer diskSpace = section.has("disk_space_mb")
                ? scalars.positive(section.value("disk_space_mb"), List.of("81920"))
                : null;
        Map<String, String> tags = new LinkedHashMap<>();
        section.section("tags").scalars().forEach((key, value) -> {
            if (!TAG_KEY.matcher(key).matches() || key.startsWith(FORKRUNNER_TAG_PREFIX)) {
                problems.add(
                        value,
                        "is not a tag forkrunner can set: a tag key is 1-64 lowercase letters, digits, '_', '-' or"
                                + " ':' and does not start with " + FORKRUNNER_TAG_PREFIX + " (forkrunner's own)",
                        List.of("team", "purpose"));
            } else if (value.present()) {
                tags.put(key, value.text());
            }
        });
        section.finish();
        boolean complete = valid && name != null && (diskSpace == null || diskSpace > 0);
        return complete
                ? new JobDefinition.Target(
                        name,
                        where.name(),
                        null,
                        null,
                        null,
                        new JobDefinition.AivenTarget(
                                planValue.present()
                                        ? planValue.text()
                                        : where.aiven().plan(),
                                cloudValue.present()
                                        ? cloudValue.text()
                                        : where.aiven().cloud(),
                                diskSpace,
                                tags))
                : null;
    }

    private String targetName(String job, Value value, Predicate<String> valid, String rule, List<String> examples) {
        String sample = value.text()
                .replace("{job}", job)
                .replace("{date}", "20261126")
                .replace("{time}", "023000")
                .replace("{run}", "42");
        if (sample.contains("{") || sample.contains("}")) {
            problems.add(value, "has an unknown placeholder; the placeholders are {job} {date} {time} {run}", examples);
            return null;
        }
        if (!valid.test(sample)) {
            problems.add(value, "gives names like \"" + sample + "\", which " + rule, examples);
            return null;
        }

        return value.text();
    }

    private JobDefinition.Schedule schedule(Section section) {
        Value cron = section.required("cron", CRON_EXAMPLES);
        boolean cronValid = false;
        if (cron.present()) {
            try {
                CronExpression.validateExpression(cron.text());
                cronValid = true;
            } catch (ParseException e) {
                problems.add(
                        cron,
                        "is not a Quartz cron expression (seconds minutes hours day-of-month month day-of-week): "
                                + e.getMessage(),
                        CRON_EXAMPLES);
            }
        }
        ZoneId zone = ZoneId.of("UTC");
        Value zoneValue = section.value("zone");
        if (zoneValue.present()) {
            try {
                zone = ZoneId.of(zoneValue.text());
            } catch (RuntimeException e) {
                problems.add(zoneValue, "is not a time zone", List.of("Europe/Helsinki", "UTC", "America/New_York"));
                zone = null;
            }
        }
        JobDefinition.Misfire misfire = section.has("misfire")
                ? scalars.choice(section.value("misfire"), JobDefinition.Misfire.class)
                : JobDefinition.Misfire.RUN_ONCE;
        JobDefinition.Overlap overlap = section.has("overlap")
                ? scalars.choice(section.value("overlap"), JobDefinition.Overlap.class)
                : JobDefinition.Overlap.SKIP;
        section.finish();
        return cronValid && zone != null && misfire != null && overlap != null
                ? new JobDefinition.Schedule(cron.text(), zone, misfire, overlap)
                : null;
    }

    /** An integration of a job forking {@code source} (null when it is not declared). */
    private Integration integration(Section section, ServiceDefinition source) {
        List<String> types = List.of("sql", "redis", "http", "cql", "webhook", "prometheus", "command", "aiven");
        Value type = section.required("type", types);
        Integration integration = null;
        boolean onAiven = source != null && source.onAiven();
        String queriedIn = onAiven ? source.aiven().language().orElse(null) : null;
        if (type.present()
                && onAiven
                && List.of("sql", "redis", "http", "cql").contains(type.text())
                && !type.text().equals(queriedIn)) {
            problems.add(
                    type,
                    "is not supported yet for a fork on Aiven of type "
                            + source.aiven().type() + " (service "
                            + source.name() + " is on Aiven): its integrations are webhook, prometheus, command, "
                            + (queriedIn == null ? "" : queriedIn + ", ")
                            + "or made by Aiven with type: aiven",
                    queriedIn == null
                            ? List.of("aiven", "webhook", "prometheus", "command")
                            : List.of(queriedIn, "aiven", "webhook", "prometheus", "command"));
        } else if (type.present() && !onAiven && source != null && type.text().equals("aiven")) {
            problems.add(
                    type, "is for forks on Aiven; service " + source.name() + " is not on Aiven", List.of("webhook"));
        }
        if (type.present()) {
            switch (type.text()) {
                case "sql", "redis", "http", "cql" -> {
                    // each engine's statements: SQL, Redis commands, HTTP requests to a search service, or CQL
                    String language = source == null || onAiven
                            ? type.text()
                            : ServicesReader.CACHING.contains(source.engine())
                                    ? "redis"
                                    : ServicesReader.SEARCH.contains(source.engine())
                                            ? "http"
                                            : source.engine().equals(ServicesReader.CASSANDRA) ? "cql" : "sql";
                    if (!language.equals(type.text())) {
                        problems.add(
                                type,
                                "is not for a " + source.engine() + " service: "
                                        + switch (language) {
                                            case "redis" -> "its commands run with type: redis";
                                            case "http" -> "its requests go with type: http";
                                            case "cql" -> "its CQL statements run with type: cql";
                                            default -> "its SQL runs with type: sql";
                                        },
                                List.of(language));
                    }
                    String example = switch (language) {
                        case "redis" -> "jobs/redis/mask-sessions.redis";
                        case "http" -> "jobs/search/mask-emails.http";
                        case "cql" -> "jobs/cql/mask-emails.cql";
                        default -> "jobs/sql/mask-customers.sql";
                    };
                    Path file = scalars.existingFile(section.required("file", List.of(example)));
                    integration = file == null ? null : new JobDefinition.SqlIntegration(file);
                }
                case "webhook" -> {
                    URI url = scalars.url(section.required("url", List.of("http://127.0.0.1:8089/forks")));
                    integration = url == null ? null : new JobDefinition.WebhookIntegration(url);
                }
                case "prometheus" -> {
                    Value file = section.required("file", List.of("var/prometheus/forks.json"));
                    integration = file.present()
                            ? new JobDefinition.PrometheusIntegration(
                                    scalars.home().resolve(file.text()))
                            : null;
                }
                case "command" -> {
                    List<String> argv =
                            section
                                    .requiredValues("argv", List.of("[\"/usr/local/bin/announce-fork\", \"--quiet\"]"))
                                    .stream()
                                    .filter(Value::present)
                                    .map(Value::text)
                                    .toList();
                    integration = argv.isEmpty() ? null : new JobDefinition.CommandIntegration(argv);
                }
                case "aiven" -> integration = aivenIntegration(section);
                default -> problems.add(type, "is not a known integration type", types);
            }
        }
        // every key of every type is known here; keys of another type are reported when the type itself is right
        boolean knownType = type.present() && types.contains(type.text());
        for (String key : List.of("file", "url", "argv")) {
            if (section.has(key) && knownType && !type.text().equals("aiven") && !key.equals(keyOf(type.text()))) {
                problems.add(
                        section.keyOf(key),
                        "is not a key of integrations of type " + type.text(),
                        List.of("type", keyOf(type.text())));
            }
        }
        section.finish();
        return integration;
    }

    /**
     * A service integration Aiven makes for the fork: its {@code integration_type}, exactly one other end (the fork is
     * the end not named) and its {@code user_config}, passed on as written.
     */
    private Integration aivenIntegration(Section section) {
        Value integrationType = section.required("integration_type", List.of("metrics", "logs", "datadog"));
        List<String> named = JobDefinition.AivenIntegration.OTHER_ENDS.stream()
                .filter(section::has)
                .toList();
        if (named.size() != 1) {
            problems.add(
                    named.isEmpty() ? section.keyOf("type") : section.keyOf(named.get(1)),
                    "needs exactly one other end, the fork being the end not named: one of "
                            + String.join(", ", JobDefinition.AivenIntegration.OTHER_ENDS),
                    List.of("dest_service: grafana-ops"));
        }
        Value other = named.isEmpty() ? null : section.value(named.get(0));
        Map<String, Object> userConfig = section.plainMapping("user_config");
        return integrationType.present() && named.size() == 1 && other.present() && userConfig != null
                ? new JobDefinition.AivenIntegration(integrationType.text(), named.get(0), other.text(), userConfig)
                : null;
    }

    /**
     * The fork's single sign-on: {@code later}, or its own {@code saml} or {@code openid} settings (secrets as
     * references); only for a fork of an OpenSearch service on Aiven.
     */
    private JobDefinition.Sso sso(Section root, ServiceDefinition source) {
        boolean onAiven = source != null && source.onAiven();
        if (source != null
                && !(onAiven && source.aiven().type().equals("opensearch"))
                && !(ServicesReader.SEARCH.contains(source.engine()) && source.security() != null)) {
            problems.add(
                    root.keyOf("sso"),
                    "is for forks of OpenSearch services on Aiven, or of services of forkrunner's with engine:"
                            + " opensearch and a security configuration (security: in config/services.yml); "
                            + source.name() + " is neither",
                    List.of());
            root.value("sso");
            return null;
        }
        if (!root.holdsMapping("sso")) {
            Value value = root.value("sso");
            if (value.present() && value.text().equals("later")) {
                return JobDefinition.Sso.LATER;
            }
            problems.add(
                    value,
                    "is later, or a mapping with the fork's own saml or openid settings",
                    List.of("later", "{ saml: { idp_metadata_url: ..., idp_entity_id: ..., sp_entity_id: ... } }"));
            return null;
        }
        Section sso = root.section("sso");
        boolean saml = sso.has("saml");
        if (saml == sso.has("openid")) {
            problems.add(
                    sso.keyOf(saml ? "openid" : "saml"),
                    "needs exactly one of saml and openid",
                    List.of("saml", "openid"));
            sso.finish();
            return null;
        }
        Section settings = sso.section(saml ? "saml" : "openid");
        // the security plugin of a fork of forkrunner's also needs the fork's Dashboards URL and its own exchange key
        List<String> required = saml
                ? onAiven
                        ? List.of("idp_metadata_url", "idp_entity_id", "sp_entity_id")
                        : List.of("idp_metadata_url", "idp_entity_id", "sp_entity_id", "dashboards_url")
                : onAiven ? List.of("connect_url", "client_id") : List.of("connect_url");
        List<String> optional =
                saml || !onAiven ? List.of("roles_key", "subject_key") : List.of("roles_key", "subject_key", "scope");
        Map<String, String> values = new LinkedHashMap<>();
        boolean complete = true;
        for (String key : required) {
            Value value = settings.required(key, List.of());
            complete &= value.present();
            if (value.present()) {
                values.put(key, value.text());
            }
        }
        for (String key : optional) {
            Value value = settings.value(key);
            if (value.present()) {
                values.put(key, value.text());
            }
        }
        Map<String, SecretRef> secrets = new LinkedHashMap<>();
        if (saml != onAiven) { // Aiven's OpenID needs the client's secret, the security plugin's SAML its key
            String key = saml ? "exchange_key" : "client_secret";
            SecretRef secret = scalars.secret(settings.required(key, SecretRef.EXAMPLES));
            complete &= secret != null;
            if (secret != null) {
                secrets.put(key, secret);
            }
        }
        settings.finish();
        sso.finish();
        return complete ? new JobDefinition.Sso(saml ? "saml" : "openid", values, secrets) : null;
    }

    /** The key an integration of {@code type} has besides its type. */
    private static String keyOf(String type) {
        return switch (type) {
            case "sql", "redis", "http", "cql", "prometheus" -> "file";
            case "webhook" -> "url";
            default -> "argv";
        };
    }

    private JobDefinition.Retention retention(Section section) {
        Integer keep = section.has("keep") ? scalars.positive(section.value("keep"), List.of("3", "7")) : null;
        Duration ttl = section.has("ttl") ? scalars.duration(section.value("ttl")) : null;
        section.finish();
        boolean valid = (keep == null || keep > 0) && (ttl != null || !section.has("ttl"));
        return valid ? new JobDefinition.Retention(keep, ttl) : null;
    }

    private List<Notification> notifications(List<Section> sections) {
        List<Notification> notifications = new ArrayList<>();
        Set<String> seen = new TreeSet<>();
        for (Section section : sections) {
            Notification notification = notification(section);
            if (notification != null && !seen.add(notification.on() + " " + notification.url())) {
                problems.add(
                        section.value("url"),
                        "is named twice for on: " + scalars.spelling(notification.on())
                                + "; one notification per event and URL",
                        List.of("http://127.0.0.1:8089/failures"));
                notification = null;
            }
            notifications.add(notification);
        }
        return notifications;
    }

    private Notification notification(Section section) {
        NotifyOn on =
                scalars.choice(section.required("on", List.of("failure", "success", "long-running")), NotifyOn.class);
        URI url = scalars.url(section.required("url", List.of("http://127.0.0.1:8089/failures")));
        Value afterValue = section.value("after");
        Threshold after = null;
        boolean afterValid = true;
        if (on == NotifyOn.LONG_RUNNING && !section.has("after")) {
            problems.add(afterValue, "is required with on: long-running", Scalars.THRESHOLD_EXAMPLES);
            afterValid = false;
        } else if (on == NotifyOn.LONG_RUNNING) {
            after = scalars.threshold(afterValue);
            afterValid = after != null;
        } else if (on != null && section.has("after")) {
            problems.add(afterValue, "is only allowed with on: long-running", List.of("on: long-running"));
            afterValid = false;
        }
        section.finish();
        return on != null && url != null && afterValid ? new Notification(on, url, after) : null;
    }
}
