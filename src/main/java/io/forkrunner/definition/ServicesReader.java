package io.forkrunner.definition;

import io.forkrunner.definition.ServiceDefinition.Backups;
import io.forkrunner.definition.ServiceDefinition.Pool;
import io.forkrunner.definition.ServiceDefinition.PoolMode;
import io.forkrunner.definition.ServiceDefinition.ServiceEvent;
import io.forkrunner.definition.ServiceDefinition.ServiceNotification;
import io.forkrunner.definition.ServiceDefinition.Wal;
import io.forkrunner.system.SecretRef;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads {@code config/services.yml}: its regions and services, and the names it declares, valid or not, so that the
 * jobs naming one are checked against them.
 */
final class ServicesReader {

    /** The engines forkrunner forks; {@code mysql} names MariaDB's adapter, which serves the MySQL family here. */
    private static final List<String> ENGINES =
            List.of("postgresql", "mariadb", "mysql", "redis", "valkey", "opensearch", "elasticsearch", "cassandra");

    /** The engines that have no connection pools: a service of theirs declares neither pools nor a pooler. */
    private static final Map<String, String> WITHOUT_POOLS = Map.of(
            "mariadb", "the MySQL family (Aiven has none)",
            "mysql", "the MySQL family (Aiven has none)",
            "redis", "caching services",
            "valkey", "caching services",
            "opensearch", "search services",
            "elasticsearch", "search services",
            "cassandra", "Cassandra services");
    /** The engines without a change archive: their forks are made from backups alone, never to a time between them. */
    private static final List<String> WITHOUT_ARCHIVE =
            List.of("redis", "valkey", "opensearch", "elasticsearch", "cassandra");

    /** The engine whose services are clusters of several nodes, each declared under {@code nodes:}. */
    static final String CASSANDRA = "cassandra";

    /** The engines of the Redis family, whose integrations run commands ({@code type: redis}) rather than SQL. */
    static final List<String> CACHING = List.of("redis", "valkey");

    /** The search engines: forkrunner talks to them over HTTP, without a login, and they take no SQL. */
    static final List<String> SEARCH = List.of("opensearch", "elasticsearch");

    /** The engines whose servers run scheduled events of their own, which a job may let run on its forks. */
    static final List<String> SCHEDULED_EVENTS = List.of("mariadb");

    private static final List<String> PROVISIONERS = List.of("local", "aiven");

    private final Scalars scalars;
    private final Problems problems;
    final Map<String, Region> regions = new LinkedHashMap<>();
    final Map<String, ServiceDefinition> services = new LinkedHashMap<>();
    // the names written in config/services.yml, valid or not: naming an invalid one is not also "undeclared"
    private final Set<String> declaredRegions = new TreeSet<>();
    private final Set<String> declaredServices = new TreeSet<>();
    // the regions written with provisioner: aiven, valid or not: their services are declared the Aiven way
    private final Set<String> aivenRegions = new TreeSet<>();
    // false when config/services.yml is not valid YAML: what it declares is unknown, so nothing is "undeclared"
    private boolean servicesRead = true;

    ServicesReader(Scalars scalars) {
        this.scalars = scalars;
        this.problems = scalars.problems;
    }

    /** Whether {@code value} names a region config/services.yml declares; reported when it does not. */
    boolean checkRegion(Value value) {
        return checkDeclared(value, declaredRegions, "region", "config/services.yml regions");
    }

    /** Whether {@code value} names a service config/services.yml declares; reported when it does not. */
    boolean checkService(Value value) {
        return checkDeclared(value, declaredServices, "service", "config/services.yml services");
    }

    /** Reads the file into {@link #regions} and {@link #services}; its problems go with every other file's. */
    void read() {
        String file = "config/services.yml";
        Optional<Section> loaded = scalars.load(scalars.home().config().resolve("services.yml"), file);
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
                        .filter(other -> !region.onAiven() && !other.onAiven())
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
        boolean valid = scalars.checkName(name);
        Value provisioner = section.required("provisioner", PROVISIONERS);
        if (provisioner.present() && !PROVISIONERS.contains(provisioner.text())) {
            problems.add(provisioner, "is not a known provisioner", PROVISIONERS);
        }
        if (provisioner.present() && provisioner.text().equals("aiven")) {
            aivenRegions.add(name.text());
            return aivenRegion(name, valid, section);
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
        return new Region(name.text(), provisioner.text(), scalars.home().resolve(root.text()), ports.get());
    }

    /**
     * A region on Aiven: its project, the cloud and plan of its forks, the API's URL (Aiven's public one unless
     * another is given) and where its token comes from. Forkrunner keeps its own files of the region under
     * {@code root} (default {@code var/regions/NAME}); Aiven gives addresses, so there are no ports.
     */
    private Region aivenRegion(Value name, boolean valid, Section section) {
        Value urlValue = section.value("url");
        URI url = urlValue.present() ? scalars.url(urlValue) : AivenAccount.PUBLIC_API;
        Value project = aivenName(section.required("project", List.of("acme-prod")));
        Value cloud = section.required("cloud", List.of("google-europe-west1", "aws-eu-central-1"));
        Value plan = section.required("plan", List.of("startup-4", "business-8"));
        Value tokenValue = section.required("token", List.of("${env:AIVEN_TOKEN}", "${file:/run/secrets/aiven}"));
        SecretRef token = scalars.secret(tokenValue);
        Value root = section.value("root");
        Duration stall = section.has("stall") ? scalars.duration(section.value("stall")) : AivenAccount.DEFAULT_STALL;
        section.finish();
        if (!valid
                || url == null
                || !project.present()
                || !cloud.present()
                || !plan.present()
                || token == null
                || stall == null) {
            return null;
        }
        return new Region(
                name.text(),
                "aiven",
                scalars.home().resolve(root.present() ? root.text() : "var/regions/" + name.text()),
                null,
                new AivenAccount(url, project.text(), cloud.text(), plan.text(), token, stall));
    }

    /** {@code value} when it is absent or a name Aiven accepts; reported and absent otherwise. */
    private Value aivenName(Value value) {
        if (value.present() && !AivenAccount.NAME.matcher(value.text()).matches()) {
            problems.add(value, AivenAccount.NAME_RULE, List.of("shop", "shop-dev"));
            return new Value(value.file(), value.line(), value.field(), null);
        }
        return value;
    }

    /**
     * A service on Aiven, declared by its Aiven {@code type} (and {@code project}, when not the region's) instead of
     * an engine, address and login: Aiven keeps its backups, users and pools. {@code where} is null when the region is
     * not valid.
     */
    private ServiceDefinition aivenService(Value name, Section section, Value region, Region where) {
        boolean valid = scalars.checkName(name) && aivenName(name).present();
        Value type = section.required("type", AivenAccount.TYPES);
        if (type.present() && !AivenAccount.TYPES.contains(type.text())) {
            problems.add(type, "is not a service type Aiven forks", AivenAccount.TYPES);
        }
        Value project = aivenName(section.value("project"));
        for (String key : List.of("engine", "host", "port", "user", "password", "backups", "pools", "pooler")) {
            if (section.has(key)) {
                problems.add(
                        section.keyOf(key),
                        "is not for a service on Aiven, whose type, address, users, backups and pools Aiven keeps;"
                                + " declare its type and remove it",
                        List.of("type: pg"));
            }
        }
        List<ServiceNotification> notifications = section.sections("notifications").stream()
                .map(this::serviceNotification)
                .toList();
        section.finish();
        boolean complete = valid
                && where != null
                && AivenAccount.TYPES.contains(type.text())
                && (project.present() || !section.has("project"))
                && !notifications.contains(null);
        if (!complete) {
            return null;
        }
        return new ServiceDefinition(
                name.text(),
                ServiceDefinition.AIVEN,
                region.text(),
                "",
                0,
                "",
                null,
                new Backups(null, 1, Wal.NONE),
                List.of(),
                null,
                notifications,
                new ServiceDefinition.AivenService(
                        type.text(),
                        project.present() ? project.text() : where.aiven().project()),
                null,
                List.of(),
                null);
    }

    private ServiceDefinition service(Value name, Section section, Map<String, Region> regions) {
        Value regionFirst = section.value("region");
        if (regionFirst.present() && aivenRegions.contains(regionFirst.text())) {
            return aivenService(name, section, regionFirst, regions.get(regionFirst.text()));
        }
        boolean valid = scalars.checkName(name);
        Value engine = section.required("engine", ENGINES);
        if (engine.present() && !ENGINES.contains(engine.text())) {
            String why = engine.text().equals(ServiceDefinition.AIVEN)
                    ? "is not an engine: a service on Aiven is declared by its type in a region whose provisioner is"
                            + " aiven"
                    : "is not a known engine";
            problems.add(engine, why, ENGINES);
        }
        Value region = section.required("region", List.copyOf(regions.keySet()));
        checkRegion(region);
        Value host = section.required("host", List.of("127.0.0.1", "db.example.internal"));
        Value portValue = section.required("port", List.of("5432"));
        int port = portValue.present() ? scalars.port(portValue) : 0;
        boolean search = engine.present() && SEARCH.contains(engine.text());
        Value user = search ? section.value("user") : section.required("user", List.of("postgres", "forkrunner"));
        SecretRef password = search ? null : scalars.secret(section.value("password"));
        Value securityValue = section.value("security");
        Path security = null;
        if (securityValue.present() && !search) {
            problems.add(
                    section.keyOf("security"),
                    "is for search services (engine: opensearch): the directory of their security plugin's"
                            + " configuration; remove it",
                    List.of());
        } else if (securityValue.present()) {
            security = scalars.home().resolve(securityValue.text());
            if (!Files.isRegularFile(security.resolve("config.yml"))) {
                problems.add(
                        securityValue,
                        "is not a directory holding the security plugin's config.yml (paths are relative to the home "
                                + scalars.home().root() + ")",
                        List.of("/etc/opensearch/opensearch-security"));
                security = null;
            }
        }
        if (search) {
            for (String key : List.of("user", "password")) {
                if (section.has(key)) {
                    problems.add(
                            section.keyOf(key),
                            "is not applicable to " + engine.text() + ": forkrunner talks to its clusters over HTTP"
                                    + " without a login (their security plugin does not run here); remove it",
                            List.of());
                }
            }
        }
        Backups backups =
                backups(section.section("backups"), engine.present() && WITHOUT_ARCHIVE.contains(engine.text()));
        List<Pool> pools = section.sections("pools").stream().map(this::pool).toList();
        Value poolerValue = section.value("pooler");
        Path pooler = scalars.existingFile(poolerValue, List.of("/etc/pgbouncer/pgbouncer.ini"));
        List<ServiceNotification> notifications = section.sections("notifications").stream()
                .map(this::serviceNotification)
                .toList();
        List<ServiceDefinition.Node> nodes = nodes(section, engine);
        ServiceDefinition.JmxLogin jmx = jmx(section, engine);
        if (engine.present() && WITHOUT_POOLS.containsKey(engine.text())) {
            for (String key : List.of("pools", "pooler")) {
                if (section.has(key)) {
                    problems.add(
                            section.keyOf(key),
                            "is not applicable to " + engine.text() + ": forkrunner keeps no connection pools for "
                                    + WITHOUT_POOLS.get(engine.text()) + "; remove it",
                            List.of());
                }
            }
        }
        section.finish();
        boolean complete = valid
                && engine.present()
                && ENGINES.contains(engine.text())
                && region.present()
                && regions.containsKey(region.text())
                && host.present()
                && port > 0
                && (user.present() || search)
                && backups != null
                && !pools.contains(null)
                && !notifications.contains(null)
                && (pooler != null || !poolerValue.present())
                && (security != null || !securityValue.present())
                && nodes != null
                && (jmx != null || !section.has("jmx"));
        return complete
                ? new ServiceDefinition(
                        name.text(),
                        engine.text().equals("mysql") ? "mariadb" : engine.text(),
                        region.text(),
                        host.text(),
                        port,
                        search ? "" : user.text(),
                        password,
                        backups,
                        pools,
                        pooler,
                        notifications,
                        null,
                        security,
                        nodes,
                        jmx)
                : null;
    }

    /**
     * A Cassandra service's {@code jmx:} login, a {@code user} and a {@code password} reference, for a cluster whose JMX
     * asks for one; refused for the other engines. Null when not declared or not valid.
     */
    private ServiceDefinition.JmxLogin jmx(Section section, Value engine) {
        if (!section.has("jmx")) {
            return null;
        }
        if (!engine.present() || !engine.text().equals(CASSANDRA)) {
            problems.add(
                    section.keyOf("jmx"),
                    "is for Cassandra services (engine: cassandra): the login their nodes' JMX asks for; remove it",
                    List.of());
            return null;
        }
        Section login = section.section("jmx");
        Value user = login.required("user", List.of("forkrunner", "cassandra"));
        Value passwordValue = login.required("password", SecretRef.EXAMPLES);
        SecretRef password = passwordValue.present() ? scalars.secret(passwordValue) : null;
        login.finish();
        return user.present() && password != null ? new ServiceDefinition.JmxLogin(user.text(), password) : null;
    }

    /**
     * A Cassandra service's {@code nodes:}, each an {@code address} and a {@code jmx} port, at least one, no address
     * twice; refused for the other engines. Null when not valid.
     */
    private List<ServiceDefinition.Node> nodes(Section section, Value engine) {
        boolean cassandra = engine.present() && engine.text().equals(CASSANDRA);
        if (!cassandra) {
            if (section.has("nodes")) {
                problems.add(
                        section.keyOf("nodes"),
                        "is for Cassandra services (engine: cassandra), whose clusters have several nodes; remove it",
                        List.of());
                return null;
            }
            return List.of();
        }
        List<Section> declared = section.sections("nodes");
        if (declared.isEmpty()) {
            problems.add(
                    section.value("nodes"),
                    "is required for a Cassandra service: every node of its cluster, each with the address it"
                            + " listens on and its JMX port",
                    List.of("- { address: 127.0.0.1, jmx: 7199 }"));
            return null;
        }
        List<ServiceDefinition.Node> nodes = new ArrayList<>();
        Set<String> addresses = new TreeSet<>();
        boolean valid = true;
        for (Section node : declared) {
            Value addressValue = node.required("address", List.of("127.0.0.1", "10.0.0.5"));
            String address = addressValue.present() ? scalars.address(addressValue) : null;
            Value jmxValue = node.required("jmx", List.of("7199"));
            int jmx = jmxValue.present() ? scalars.port(jmxValue) : 0;
            node.finish();
            if (address != null && !addresses.add(address)) {
                problems.add(addressValue, "is the address of another node of this service", List.of());
                address = null;
            }
            if (address == null || jmx < 1) {
                valid = false;
            } else {
                nodes.add(new ServiceDefinition.Node(address, jmx));
            }
        }
        return valid ? nodes : null;
    }

    private Backups backups(Section section, boolean withoutArchive) {
        Duration every = section.has("every") ? scalars.duration(section.value("every")) : null;
        int keep = section.has("keep") ? scalars.positive(section.value("keep"), List.of("7", "3")) : 7;
        Wal wal = section.has("wal")
                ? scalars.choice(section.value("wal"), Wal.class)
                : withoutArchive ? Wal.NONE : Wal.STREAM;
        if (withoutArchive && wal == Wal.STREAM) {
            problems.add(
                    section.value("wal"),
                    "is not possible for this engine: it has no change archive, so its forks are made from its"
                            + " backups alone; remove it or say none",
                    List.of("none"));
            wal = null;
        }
        long maxRetained = section.has("max-retained")
                ? scalars.positiveBytes(section.value("max-retained"), List.of("5GB", "512MB"))
                : Backups.DEFAULT_MAX_RETAINED;
        section.finish();
        return keep > 0 && wal != null && maxRetained > 0 ? new Backups(every, keep, wal, maxRetained) : null;
    }

    private ServiceNotification serviceNotification(Section section) {
        ServiceEvent on =
                scalars.choice(section.required("on", List.of("backup-failure", "wal-gap")), ServiceEvent.class);
        URI url = scalars.url(section.required("url", List.of("http://127.0.0.1:8089/backups")));
        section.finish();
        return on != null && url != null ? new ServiceNotification(on, url) : null;
    }

    private Pool pool(Section section) {
        Value name = section.required("name", List.of("app"));
        boolean valid = name.present() && scalars.checkName(name);
        Value database = section.required("database", List.of("shop"));
        Value user = section.required("user", List.of("app"));
        PoolMode mode =
                section.has("mode") ? scalars.choice(section.value("mode"), PoolMode.class) : PoolMode.TRANSACTION;
        int size = section.has("size") ? scalars.positive(section.value("size"), List.of("20")) : 20;
        section.finish();
        return valid && database.present() && user.present() && mode != null && size > 0
                ? new Pool(name.text(), database.text(), user.text(), mode, size)
                : null;
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
}
