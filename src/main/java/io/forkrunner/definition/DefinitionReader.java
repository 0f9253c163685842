package io.forkrunner.definition;

import io.forkrunner.definition.JobDefinition.Integration;
import io.forkrunner.definition.JobDefinition.Notification;
import io.forkrunner.definition.JobDefinition.NotifyOn;
import io.forkrunner.definition.JobDefinition.Threshold;
import io.forkrunner.definition.ServiceDefinition.Backups;
import io.forkrunner.definition.ServiceDefinition.Pool;
import io.forkrunner.definition.ServiceDefinition.PoolMode;
import io.forkrunner.definition.ServiceDefinition.ServiceEvent;
import io.forkrunner.definition.ServiceDefinition.ServiceNotification;
import io.forkrunner.definition.ServiceDefinition.Wal;
import io.forkrunner.system.Home;
import io.forkrunner.system.Problem;
import io.forkrunner.system.SecretRef;
import java.io.IOException;
import java.io.Reader;
import java.math.BigDecimal;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.quartz.CronExpression;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.nodes.Node;

/**
 * Reads {@code config/forkrunner.yml}, {@code config/services.yml} and {@code jobs/*.yml} into validated
 * {@link Definitions}, or reports every problem at once, each naming file, field, value and valid examples.
 */
public final class DefinitionReader {

    /** The largest {@code config/} or {@code jobs/} file read: 1 MiB. A larger one is refused unread. */
    public static final long MAX_FILE_BYTES = 1024 * 1024;

    static final List<String> ENGINES = List.of("postgresql");
    private static final List<String> PLANNED_ENGINES = List.of("mysql", "mariadb", "redis", "aiven");
    private static final List<String> PROVISIONERS = List.of("local");
    private static final Predicate<String> DATABASE_NAME =
            Pattern.compile("[a-z_][a-z0-9_-]{0,62}").asMatchPredicate();
    private static final String DATABASE_RULE =
            "must match [a-z_][a-z0-9_-]{0,62}: a lower-case letter or '_', then letters, digits, '_' or '-'";
    private static final List<String> DATABASE_EXAMPLES = List.of("shop_copy", "shop_{date}", "{job}_{run}");

    private static final List<String> CRON_EXAMPLES =
            List.of("\"0 30 2 * * ?\"", "\"0 0 */6 * * ?\"", "\"0 0 3 ? * MON\"");
    private static final List<String> THRESHOLD_EXAMPLES = List.of("30m", "2h", "2x", "1.5x");

    private final Home home;
    private final Map<String, String> environment;
    private final Problems problems = new Problems();
    // the names written in config/services.yml, valid or not: naming an invalid one is not also "undeclared"
    private final Set<String> declaredRegions = new TreeSet<>();
    private final Set<String> declaredServices = new TreeSet<>();
    // false when config/services.yml is not valid YAML: what it declares is unknown, so nothing is "undeclared"
    private boolean servicesRead = true;

    public DefinitionReader(Home home, Map<String, String> environment) {
        this.home = home;
        this.environment = environment;
    }

    /** Reads the home's definitions with the process environment for {@code ${env:...}} secrets. */
    public static Definitions read(Home home) {
        return new DefinitionReader(home, System.getenv()).read();
    }

    /**
     * Reads the home's definitions for running forks, with the process environment: a job whose file has problems is
     * left out and kept with its problems (it cannot run; every other job can); problems in {@code config/} still
     * refuse everything.
     */
    public static Definitions readForRuns(Home home) {
        return new DefinitionReader(home, System.getenv()).readForRuns();
    }

    /** Every problem in config/ and jobs/ refuses all, reported at once. */
    public Definitions read() {
        return read(false);
    }

    /** Problems in a job's file refuse that job only; see {@link #readForRuns(Home)}. */
    public Definitions readForRuns() {
        return read(true);
    }

    private Definitions read(boolean jobsApart) {
        Settings settings = readSettings();
        Map<String, Region> regions = new LinkedHashMap<>();
        Map<String, ServiceDefinition> services = new LinkedHashMap<>();
        readServices(regions, services);
        Map<String, JobDefinition> jobs = readJobs(regions, services);
        Map<String, List<Problem>> refused = jobsApart ? problems.takeJobProblems() : Map.of();
        problems.throwIfAny();
        refused.keySet().forEach(jobs::remove);
        return new Definitions(home, settings, regions, services, jobs, refused);
    }

    private Settings readSettings() {
        String file = "config/forkrunner.yml";
        Section root = load(home.config().resolve("forkrunner.yml"), file).orElseGet(() -> empty(file));
        Settings.Metadata metadata = new Settings.Metadata(Settings.DEFAULT_METADATA_URL, "postgres", null, false);
        if (root.has("metadata")) {
            Section section = root.section("metadata");
            Value url = section.value("url");
            if (url.present() && !url.text().startsWith("jdbc:postgresql://")) {
                problems.add(url, "must be a PostgreSQL JDBC URL", List.of(Settings.DEFAULT_METADATA_URL));
            }
            Value user = section.value("user");
            metadata = new Settings.Metadata(
                    url.present() ? url.text() : Settings.DEFAULT_METADATA_URL,
                    user.present() ? user.text() : "postgres",
                    secret(section.value("password")),
                    true);
            section.finish();
        }
        Section api = root.section("api");
        Value portValue = api.value("port");
        // 0: any free port, which serve logs; for several nodes on one host, as in tests
        int port = !portValue.present() ? 8080 : "0".equals(portValue.text().strip()) ? 0 : port(portValue);
        String address = api.has("address") ? address(api.value("address")) : Settings.Api.DEFAULT_ADDRESS;

        List<Settings.Token> tokens = new ArrayList<>();
        for (Section token : api.sections("tokens")) {
            Value name = token.required("name", List.of("ci", "wall"));
            Settings.Role role = choice(token.required("role", List.of("viewer", "operator")), Settings.Role.class);
            SecretRef secret = secret(token.required("secret", SecretRef.EXAMPLES));
            token.finish();
            if (name.present() && role != null && secret != null) {
                tokens.add(new Settings.Token(name.text(), role, secret));
            }
        }
        api.finish();
        Section runsSection = root.section("runs");
        Duration lease =
                runsSection.has("lease") ? duration(runsSection.value("lease")) : Settings.Runs.DEFAULTS.lease();
        long copyRate = runsSection.has("copy-rate") ? bytes(runsSection.value("copy-rate")) : 0;
        runsSection.finish();
        root.finish();
        Settings.Runs runs = new Settings.Runs(lease == null ? Settings.Runs.DEFAULTS.lease() : lease, copyRate);
        return new Settings(
                metadata,
                new Settings.Api(port, tokens, address == null ? Settings.Api.DEFAULT_ADDRESS : address),
                runs);
    }

    private void readServices(Map<String, Region> regions, Map<String, ServiceDefinition> services) {
        String file = "config/services.yml";
        Optional<Section> loaded = load(home.config().resolve("services.yml"), file);
        if (loaded.isEmpty()) {
            servicesRead = false;
            return;
        }
        Section root = loaded.get();
        Section regionsSection = root.section("regions");
        Map<String, Section> regionSections = regionsSection.namedSections();
        declaredRegions.addAll(regionSections.keySet());
        regionSections.forEach((name, section) -> {
            Region region = region(regionsSection.keyOf(name), section);
            if (region != null) {
                regions.values().stream()
                        .filter(other -> other.ports().overlaps(region.ports()))
                        .forEach(other -> problems.add(
                                section.value("ports"),
                                "overlaps the ports of region " + other.name() + " (" + other.ports() + ")",
                                PortRange.EXAMPLES));
                regions.put(name, region);
            }
        });
        Section servicesSection = root.section("services");
        Map<String, Section> serviceSections = servicesSection.namedSections();
        declaredServices.addAll(serviceSections.keySet());
        serviceSections.forEach((name, section) -> {
            ServiceDefinition service = service(servicesSection.keyOf(name), section, regions);
            if (service != null) {
                services.put(name, service);
            }
        });
        root.finish();
    }

    private Region region(Value name, Section section) {
        boolean valid = checkName(name);
        Value provisioner = section.required("provisioner", PROVISIONERS);
        if (provisioner.present() && !PROVISIONERS.contains(provisioner.text())) {
            problems.add(provisioner, "is not a known provisioner", PROVISIONERS);
        }
        Value root = section.required("root", List.of("var/regions/" + name.text()));
        Value portsValue = section.required("ports", PortRange.EXAMPLES);
        Optional<PortRange> ports = portsValue.present() ? PortRange.parse(portsValue.text()) : Optional.empty();
        if (portsValue.present() && ports.isEmpty()) {
            problems.add(portsValue, "is not a port range FIRST-LAST within 1024-65535", PortRange.EXAMPLES);
        }
        section.finish();
        if (!valid || !provisioner.present() || !root.present() || ports.isEmpty()) {
            return null;
        }
        return new Region(name.text(), provisioner.text(), home.resolve(root.text()), ports.get());
    }

    private ServiceDefinition service(Value name, Section section, Map<String, Region> regions) {
        boolean valid = checkName(name);
        Value engine = section.required("engine", ENGINES);
        if (engine.present() && !ENGINES.contains(engine.text())) {
            String why = PLANNED_ENGINES.contains(engine.text()) ? "is not supported yet" : "is not a known engine";
            problems.add(engine, why, ENGINES);
        }
        Value region = section.required("region", List.copyOf(regions.keySet()));
        checkDeclared(region, declaredRegions, "region", "config/services.yml regions");
        Value host = section.required("host", List.of("127.0.0.1", "db.example.internal"));
        Value portValue = section.required("port", List.of("5432"));
        int port = portValue.present() ? port(portValue) : 0;
        Value user = section.required("user", List.of("postgres", "forkrunner"));
        SecretRef password = secret(section.value("password"));
        Backups backups = backups(section.section("backups"));
        List<Pool> pools = section.sections("pools").stream().map(this::pool).toList();
        Value poolerValue = section.value("pooler");
        Path pooler = existingFile(poolerValue, List.of("/etc/pgbouncer/pgbouncer.ini"));
        List<ServiceNotification> notifications = section.sections("notifications").stream()
                .map(this::serviceNotification)
                .toList();
        section.finish();
        boolean complete = valid
                && engine.present()
                && region.present()
                && regions.containsKey(region.text())
                && host.present()
                && port > 0
                && user.present()
                && backups != null
                && !pools.contains(null)
                && !notifications.contains(null)
                && (pooler != null || !poolerValue.present());
        return complete
                ? new ServiceDefinition(
                        name.text(),
                        engine.text(),
                        region.text(),
                        host.text(),
                        port,
                        user.text(),
                        password,
                        backups,
                        pools,
                        pooler,
                        notifications)
                : null;
    }

    private Backups backups(Section section) {
        Duration every = section.has("every") ? duration(section.value("every")) : null;
        int keep = section.has("keep") ? positive(section.value("keep"), List.of("7", "3")) : 7;
        Wal wal = section.has("wal") ? choice(section.value("wal"), Wal.class) : Wal.STREAM;
        long maxRetained = section.has("max-retained")
                ? positiveBytes(section.value("max-retained"), List.of("5GB", "512MB"))
                : Backups.DEFAULT_MAX_RETAINED;
        section.finish();
        return keep > 0 && wal != null && maxRetained > 0 ? new Backups(every, keep, wal, maxRetained) : null;
    }

    private ServiceNotification serviceNotification(Section section) {
        ServiceEvent on = choice(section.required("on", List.of("backup-failure", "wal-gap")), ServiceEvent.class);
        URI url = url(section.required("url", List.of("http://127.0.0.1:8089/backups")));
        section.finish();
        return on != null && url != null ? new ServiceNotification(on, url) : null;
    }

    private Pool pool(Section section) {
        Value name = section.required("name", List.of("app"));
        boolean valid = name.present() && checkName(name);
        Value database = section.required("database", List.of("shop"));
        Value user = section.required("user", List.of("app"));
        PoolMode mode = section.has("mode") ? choice(section.value("mode"), PoolMode.class) : PoolMode.TRANSACTION;
        int size = section.has("size") ? positive(section.value("size"), List.of("20")) : 20;
        section.finish();
        return valid && database.present() && user.present() && mode != null && size > 0
                ? new Pool(name.text(), database.text(), user.text(), mode, size)
                : null;
    }

    private Map<String, JobDefinition> readJobs(Map<String, Region> regions, Map<String, ServiceDefinition> services) {
        Map<String, JobDefinition> jobs = new LinkedHashMap<>();
        if (!Files.isDirectory(home.jobs())) {
            return jobs;
        }
        List<Path> files;
        try (Stream<Path> listing = Files.list(home.jobs())) {
            files = listing.filter(path -> path.getFileName().toString().endsWith(".yml"))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            problems.add(new Problem(
                    "jobs/", 0, "(directory)", home.jobs().toString(), "cannot be listed: " + e, List.of()));
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
            load(path, file).map(root -> job(name, root, regions, services)).ifPresent(job -> jobs.put(name, job));
        }
        return jobs;
    }

    private JobDefinition job(
            String name, Section root, Map<String, Region> regions, Map<String, ServiceDefinition> services) {
        Value description = root.value("description");
        Value source = root.required("source", List.copyOf(services.keySet()));
        checkDeclared(source, declaredServices, "service", "config/services.yml services");
        Value database = root.value("database");
        JobDefinition.Target target = target(name, root.section("target"), services, services.get(source.text()));
        PointInTime from = root.has("from") ? pointInTime(root.value("from")) : new PointInTime.Latest();
        JobDefinition.Schedule schedule = root.has("schedule") ? schedule(root.section("schedule")) : null;
        Boolean users = root.has("users") ? copyOrNone(root.value("users")) : Boolean.TRUE;
        Boolean pools = root.has("pools") ? copyOrNone(root.value("pools")) : Boolean.TRUE;
        if (Boolean.FALSE.equals(users) && Boolean.TRUE.equals(pools) && root.has("pools")) {
            problems.add(
                    root.value("pools"),
                    "needs users: copy, since the pools log in with the source's roles",
                    List.of("copy", "none"));
        }
        List<Integration> integrations =
                root.sections("integrations").stream().map(this::integration).toList();
        List<String> checks = root.values("checks").stream()
                .filter(Value::present)
                .map(Value::text)
                .toList();
        List<Path> tests = root.values("tests").stream().map(this::existingFile).toList();
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
                        retention,
                        notifications)
                : null;
    }

    private JobDefinition.Target target(
            String job, Section section, Map<String, ServiceDefinition> services, ServiceDefinition source) {

        Value nameValue = section.required("name", List.of("shop-dev-{date}", "{job}-{run}"));
        String name = nameValue.present()
                ? targetName(job, nameValue, Names::valid, Names.RULE_TEXT, List.of("shop-dev-{date}", "{job}-{run}"))
                : null;
        Value regionValue = section.value("region");
        String region = null;
        if (regionValue.present()) {
            region = checkDeclared(regionValue, declaredRegions, "region", "config/services.yml regions")
                    ? regionValue.text()
                    : null;
        } else if (source != null) {
            region = source.region();
        }
        Value serverValue = section.value("server");
        Value databaseValue = section.value("database");
        String server = null;
        String database = null;
        if (serverValue.present()) {
            if (checkDeclared(serverValue, declaredServices, "service", "config/services.yml services")) {
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
        Integer version = null;
        if (section.has("version")) {

            Value versionValue = section.value("version");
            version = integer(versionValue, List.of("15", "17"));
            if (version != null && (version < 10 || version > 30)) {
                problems.add(versionValue, "is not a PostgreSQL major version", List.of("15", "17"));
                version = null;
            }
        }
        section.finish();
        boolean complete = name != null
                && region != null
                && (version != null || !section.has("version"))
                && (server != null) == serverValue.present()
                && (database != null) == serverValue.present()
                && !(serverValue.present() && (section.has("region") || section.has("version")));
        return complete ? new JobDefinition.Target(name, region, version, server, database) : null;
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
                ? choice(section.value("misfire"), JobDefinition.Misfire.class)
                : JobDefinition.Misfire.RUN_ONCE;
        JobDefinition.Overlap overlap = section.has("overlap")
                ? choice(section.value("overlap"), JobDefinition.Overlap.class)
                : JobDefinition.Overlap.SKIP;
        section.finish();
        return cronValid && zone != null && misfire != null && overlap != null
                ? new JobDefinition.Schedule(cron.text(), zone, misfire, overlap)
                : null;
    }

    private Integration integration(Section section) {
        List<String> types = List.of("sql", "webhook", "prometheus", "command");
        Value type = section.required("type", types);
        Integration integration = null;
        if (type.present()) {
            switch (type.text()) {
                case "sql" -> {
                    Path file = existingFile(section.required("file", List.of("jobs/sql/mask-customers.sql")));
                    integration = file == null ? null : new JobDefinition.SqlIntegration(file);
                }
                case "webhook" -> {
                    URI url = url(section.required("url", List.of("http://127.0.0.1:8089/forks")));
                    integration = url == null ? null : new JobDefinition.WebhookIntegration(url);
                }
                case "prometheus" -> {
                    Value file = section.required("file", List.of("var/prometheus/forks.json"));
                    integration =
                            file.present() ? new JobDefinition.PrometheusIntegration(home.resolve(file.text())) : null;
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
                default -> problems.add(type, "is not a known integration type", types);
            }
        }
        // every key of every type is known here; keys of another type are reported when the type itself is right
        boolean knownType = type.present() && types.contains(type.text());
        for (String key : List.of("file", "url", "argv")) {
            if (section.has(key) && knownType && !key.equals(keyOf(type.text()))) {
                problems.add(
                        section.keyOf(key),
                        "is not a key of integrations of type " + type.text(),
                        List.of("type", keyOf(type.text())));
            }
        }
        section.finish();
        return integration;
    }

    /** The key an integration of {@code type} has besides its type. */
    private static String keyOf(String type) {
        return switch (type) {
            case "sql", "prometheus" -> "file";
            case "webhook" -> "url";
            default -> "argv";
        };
    }

    private JobDefinition.Retention retention(Section section) {
        Integer keep = section.has("keep") ? positive(section.value("keep"), List.of("3", "7")) : null;
        Duration ttl = section.has("ttl") ? duration(section.value("ttl")) : null;
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
                        "is named twice for on: " + spelling(notification.on())
                                + "; one notification per event and URL",
                        List.of("http://127.0.0.1:8089/failures"));
                notification = null;
            }
            notifications.add(notification);
        }
        return notifications;
    }

    private Notification notification(Section section) {
        NotifyOn on = choice(section.required("on", List.of("failure", "success", "long-running")), NotifyOn.class);
        URI url = url(section.required("url", List.of("http://127.0.0.1:8089/failures")));
        Value afterValue = section.value("after");
        Threshold after = null;
        boolean afterValid = true;
        if (on == NotifyOn.LONG_RUNNING && !section.has("after")) {
            problems.add(afterValue, "is required with on: long-running", THRESHOLD_EXAMPLES);
            afterValid = false;
        } else if (on == NotifyOn.LONG_RUNNING) {
            after = threshold(afterValue);
            afterValid = after != null;
        } else if (on != null && section.has("after")) {
            problems.add(afterValue, "is only allowed with on: long-running", List.of("on: long-running"));
            afterValid = false;
        }
        section.finish();
        return on != null && url != null && afterValid ? new Notification(on, url, after) : null;
    }

    /** A duration ({@code 30m}), or a multiple of the job's usual duration ({@code 2x}, {@code 1.5x}). */
    private Threshold threshold(Value value) {
        if (!value.present()) {
            return null;
        }
        Optional<Duration> duration = Durations.parse(value.text());
        if (duration.isPresent()) {
            return new JobDefinition.LongerThan(duration.get());
        }
        java.util.regex.Matcher times = java.util.regex.Pattern.compile("([0-9]{1,4}(\\.[0-9]{1,3})?)x")
                .matcher(value.text().strip());
        if (times.matches() && new BigDecimal(times.group(1)).signum() > 0) {
            return new JobDefinition.TimesUsual(new BigDecimal(times.group(1)));
        }
        problems.add(
                value,
                "is not a duration, nor a multiple of the job's usual duration (a number and x)",
                THRESHOLD_EXAMPLES);
        return null;
    }

    // ---- scalar checks, each reporting its own problem and returning null (or 0) when the value is bad

    /** The file's top section: empty when the file is missing; none, after reporting, when it cannot be read. */
    private Optional<Section> load(Path path, String file) {
        if (!Files.exists(path)) {
            return Optional.of(empty(file));
        }
        try {
            if (!Files.isRegularFile(path)) {
                problems.add(new Problem(
                        file, 0, "(file)", path.toString(), "cannot be read: it is not a regular file", List.of()));
                return Optional.empty();
            }
            long size = Files.size(path);
            if (size > MAX_FILE_BYTES) {
                problems.add(new Problem(
                        file,
                        0,
                        "(file)",
                        path.toString(),
                        "is " + size + " bytes; a definitions file may hold at most " + MAX_FILE_BYTES
                                + " bytes (1 MiB): it was not read",
                        List.of()));
                return Optional.empty();
            }
        } catch (IOException e) {
            problems.add(
                    new Problem(file, 0, "(file)", path.toString(), "cannot be read: " + e.getMessage(), List.of()));
            return Optional.empty();
        }
        LoaderOptions limits = new LoaderOptions();
        limits.setCodePointLimit((int) MAX_FILE_BYTES); // a file that grew after the check above is refused too
        try (Reader reader = Files.newBufferedReader(path)) {
            Node node = new Yaml(new SafeConstructor(limits)).compose(reader);
            return Optional.of(Section.of(file, "", node, problems));
        } catch (MarkedYAMLException e) {
            int line = e.getProblemMark() == null ? 0 : e.getProblemMark().getLine() + 1;
            problems.add(new Problem(file, line, "(syntax)", null, "is not valid YAML: " + e.getProblem(), List.of()));
        } catch (IOException | RuntimeException e) {
            problems.add(
                    new Problem(file, 0, "(file)", path.toString(), "cannot be read: " + e.getMessage(), List.of()));
        }
        return Optional.empty();
    }

    /** An IP address to listen on, written as one: never a host name, which would be looked up. */
    private String address(Value value) {
        List<String> examples = List.of("127.0.0.1", "0.0.0.0", "::1", "10.0.0.5");
        String text = value.present() ? value.text().strip() : "";
        boolean ipv4 = text.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}")
                && Arrays.stream(text.split("\\.")).allMatch(octet -> Integer.parseInt(octet) <= 255);
        boolean literal = ipv4 || text.matches("[0-9a-fA-F:.]*:[0-9a-fA-F:.]*"); // never a name to look up
        if (literal) {
            try {
                return InetAddress.getByName(text).getHostAddress();
            } catch (UnknownHostException e) {
                // reported below
            }
        }
        problems.add(value, "is not an IP address to listen on", examples);
        return null;
    }

    private Section empty(String file) {
        return Section.of(file, "", null, problems);
    }

    private boolean checkName(Value name) {
        if (!Names.valid(name.text())) {
            problems.add(name, Names.RULE_TEXT, Names.EXAMPLES);
            return false;
        }
        return true;
    }

    private boolean checkDeclared(Value value, Set<String> declared, String what, String where) {
        if (!value.present()) {
            return false;
        }
        if (servicesRead && !declared.contains(value.text())) {
            problems.add(
                    value,
                    "is not a " + what + " declared in " + where,
                    declared.stream().filter(Names::valid).toList());
            return false;
        }
        return true;
    }

    private SecretRef secret(Value value) {
        if (!value.present()) {
            return null;
        }
        Optional<SecretRef> reference = SecretRef.parse(value.text());
        if (reference.isEmpty()) {
            // the value may be a password written in clear: never repeat it
            problems.add(new Problem(
                    value.file(),
                    value.line(),
                    value.field(),
                    "(hidden)",
                    "must be a secret reference, not a value written in the file",
                    SecretRef.EXAMPLES));
            return null;
        }
        SecretRef.Resolution resolution = reference.get().resolve(home, environment);
        if (!resolution.found()) {
            problems.add(value, "cannot be resolved: " + resolution.missing(), SecretRef.EXAMPLES);
            return null;
        }
        return reference.get();
    }

    private int port(Value value) {
        Integer port = integer(value, List.of("5432", "8080"));
        if (port != null && (port < 1 || port > 65535)) {
            problems.add(value, "is not a TCP port (1-65535)", List.of("5432", "8080"));
            return 0;
        }
        return port == null ? 0 : port;
    }

    private int positive(Value value, List<String> examples) {
        Integer number = integer(value, examples);
        if (number != null && number < 1) {
            problems.add(value, "must be at least 1", examples);
            return 0;
        }
        return number == null ? 0 : number;
    }

    private Integer integer(Value value, List<String> examples) {
        if (!value.present()) {
            return null;
        }
        try {
            return Integer.valueOf(value.text().strip());
        } catch (NumberFormatException e) {
            problems.add(value, "is not a whole number", examples);
            return null;
        }
    }

    /** A size of at least one byte; 0 after reporting when it is not one. */
    private long positiveBytes(Value value, List<String> examples) {
        if (!value.present()) {
            return 0;
        }
        int reported = problems.size();
        long bytes = bytes(value);
        if (bytes < 1 && problems.size() == reported) {
            problems.add(value, "must be at least 1 byte", examples);
        }
        return bytes;
    }

    private long bytes(Value value) {
        java.util.regex.Matcher matcher = java.util.regex.Pattern.compile("([0-9]{1,12})\\s*(B|kB|MB|GB)?")
                .matcher(value.text().strip());
        if (!matcher.matches()) {
            problems.add(value, "is not a number of bytes", List.of("0", "50MB", "512kB"));
            return 0;
        }
        long unit = switch (matcher.group(2) == null ? "B" : matcher.group(2)) {
            case "kB" -> 1024L;
            case "MB" -> 1024L * 1024;
            case "GB" -> 1024L * 1024 * 1024;
            default -> 1L;
        };
        return Long.parseLong(matcher.group(1)) * unit;
    }

    private Duration duration(Value value) {
        return value.present()
                ? report(value, Durations.parse(value.text()), "is not a duration", Durations.EXAMPLES)
                : null;
    }

    private PointInTime pointInTime(Value value) {
        return value.present()
                ? report(
                        value,
                        PointInTime.parse(value.text()),
                        "is not latest, a time with a zone offset, or -DURATION",
                        PointInTime.EXAMPLES)
                : null;
    }

    private Boolean copyOrNone(Value value) {
        if (!value.present()) {
            return null;
        }
        return switch (value.text()) {
            case "copy" -> Boolean.TRUE;
            case "none" -> Boolean.FALSE;
            default -> {
                problems.add(value, "must be copy or none", List.of("copy", "none"));
                yield null;
            }
        };
    }

    private <E extends Enum<E>> E choice(Value value, Class<E> type) {
        if (!value.present()) {
            return null;
        }
        Function<E, String> spelling = DefinitionReader::spelling;
        for (E constant : type.getEnumConstants()) {
            if (spelling.apply(constant).equals(value.text())) {
                return constant;
            }
        }
        problems.add(
                value,
                "is not one of the choices",
                Arrays.stream(type.getEnumConstants()).map(spelling).toList());
        return null;
    }

    /** How a choice is written in files: {@code RUN_ONCE} is {@code run-once}. */
    private static String spelling(Enum<?> constant) {
        return constant.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    private Path existingFile(Value value) {
        return existingFile(value, List.of("jobs/sql/mask-customers.sql"));
    }

    private Path existingFile(Value value, List<String> examples) {
        if (!value.present()) {
            return null;
        }
        Path path = home.resolve(value.text());
        if (!Files.isRegularFile(path)) {
            problems.add(value, "is not a file (paths are relative to the home " + home.root() + ")", examples);
            return null;
        }
        return path;
    }

    private URI url(Value value) {
        if (!value.present()) {
            return null;
        }
        try {
            URI url = new URI(value.text());
            if (("http".equals(url.getScheme()) || "https".equals(url.getScheme())) && url.getHost() != null) {
                return url;
            }
        } catch (URISyntaxException e) {
            // reported below
        }
        problems.add(value, "is not an http or https URL", List.of("http://127.0.0.1:8089/forks"));
        return null;
    }

    private <T> T report(Value value, Optional<T> parsed, String message, List<String> examples) {
        if (parsed.isEmpty()) {
            problems.add(value, message, examples);
            return null;
        }
        return parsed.get();
    }
}
