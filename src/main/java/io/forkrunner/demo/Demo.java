package io.forkrunner.demo;

import io.forkrunner.Forkrunner;
import io.forkrunner.backup.BackupKeeper;
import io.forkrunner.backup.BackupReport;
import io.forkrunner.backup.StoredBackup;
import io.forkrunner.backup.WalArchivers;
import io.forkrunner.definition.DefinitionReader;
import io.forkrunner.definition.Settings;
import io.forkrunner.engine.mariadb.MariaDbServer;
import io.forkrunner.fork.ForkRecord;
import io.forkrunner.fork.ForkRegistry;
import io.forkrunner.report.RunReports;
import io.forkrunner.report.RunText;
import io.forkrunner.report.RunView;
import io.forkrunner.run.Operator;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.Home;
import io.forkrunner.system.ProcessRunner;
import io.forkrunner.system.SecretRef;
import io.forkrunner.system.ServiceUser;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * {@code forkrunner demo}: a real fork on a demo source it makes itself. In a home of its own under {@code var/demo}
 * (PostgreSQL), {@code var/demo-mariadb} or {@code var/demo-redis} (see {@link RedisDemo}, which has no point in time): a source with a small shop database and an application login (and, for
 * PostgreSQL, a pool); a continuous archive of its changes; a verified base backup; more orders written after it; a fork
 * to a point in time between two batches of writes; the report, and a line that shows the fork holds the data as of that
 * time.
 */
public final class Demo {

    /** The engines the demo runs, as {@code --engine} names them. */
    public static final List<String> ENGINES = List.of("postgresql", "mariadb", "redis", "opensearch", "cassandra");

    private static final Duration ARCHIVE_WAIT = Duration.ofSeconds(60);

    private final Home parent;
    private final Home home;
    private final String engine;
    private final String service;
    private final String job;
    private final PrintWriter out;

    /** The demo of {@code engine}, one of {@link #ENGINES}. */
    public Demo(Home parent, String engine, PrintWriter out) {
        if (!ENGINES.contains(engine)) {
            throw new IllegalArgumentException("the demo runs " + ENGINES + ", not " + engine);
        }
        boolean postgres = engine.equals("postgresql");
        this.parent = parent;
        this.engine = engine;
        this.home = new Home(parent.var().resolve(postgres ? "demo" : "demo-" + engine));
        // the demos share the parent's metadata store: their services and jobs are named apart
        this.service = postgres ? "demo-shop" : "demo-shop-" + engine;
        this.job = postgres ? "demo-fork" : "demo-fork-" + engine;
        this.out = out;
    }

    public Home home() {
        return home;
    }

    /** Runs the demo; returns the finished run. */
    public RunView run() throws Exception {
        out.printf("forkrunner demo, in %s%n", home.root());
        ProcessRunner runner = new ProcessRunner(ServiceUser.detect());
        openToServiceUser(home.root());
        if (engine.equals("redis")) {
            return new RedisDemo(home, service, job, out, metadataOfParent()).run();
        }
        if (engine.equals("opensearch")) {
            return new OpenSearchDemo(home, service, job, out, metadataOfParent()).run();
        }
        if (engine.equals("cassandra")) {
            return new CassandraDemo(home, service, job, out, metadataOfParent()).run();
        }
        DemoSource source = engine.equals("postgresql")
                ? PostgresDemoSource.prepare(home.root(), runner)
                : MariaDbDemoSource.prepare(home.root(), new ProcessRunner(MariaDbServer.serviceUser()));
        writeDefinitions(source);
        source.createShop();
        int first = seed(source);
        out.printf(
                "1. source %s: %s on 127.0.0.1:%d, database shop with %d orders, login app%s%n",
                service,
                source.title(),
                source.port(),
                first,
                source.serviceExtras().isEmpty() ? "" : ", pool app");
        try (Forkrunner forkrunner = Forkrunner.boot(home, false)) {
            WalArchivers archivers = forkrunner.bean(WalArchivers.class);
            archivers.start();
            try {
                awaitArchiver(forkrunner);
                out.println("2. archive: " + source.changeArchive(service));
                StoredBackup backup = forkrunner.bean(BackupKeeper.class).backup(service);
                out.printf(
                        "3. base backup %s: verified by %s, %d MB%n",
                        backup.id(), source.backupCheck(), backup.sizeBytes() / (1024 * 1024));
                int before = insertOrders(source, 50, "after the backup");
                Thread.sleep(1500);
                // MariaDB's binary logs stamp whole seconds: the point in time is the second after the first batch
                Instant pointInTime =
                        Instant.now().truncatedTo(ChronoUnit.SECONDS).plusSeconds(1);
                while (Instant.now().isBefore(pointInTime.plusMillis(1500))) {
                    Thread.sleep(100);
                }
                int after = insertOrders(source, 50, "after the point in time");
                awaitArchived(forkrunner, Instant.now());
                out.printf(
                        "4. wrote orders up to id %d, then chose the point in time %s, then wrote up to id %d%n",
                        before, pointInTime, after);
                long runId =
                        forkrunner.bean(Operator.class).launch(job, pointInTime.toString(), Operator.manualTrigger());
                RunView run = forkrunner.bean(RunReports.class).run(runId);
                out.printf("5. fork run %d of job %s:%n", runId, job);
                return report(forkrunner, source, run, before, after);
            } finally {
                archivers.stop();
            }
        }
    }

    private RunView report(Forkrunner forkrunner, DemoSource source, RunView run, int expected, int onSource)
            throws SQLException {
        RunText.print(run, out);
        if (!"COMPLETED".equals(run.state())) {
            throw new ForkrunnerException("the demo's fork run ended " + run.state() + ": " + run.error());
        }
        ForkRecord fork = forkrunner.bean(ForkRegistry.class).find(run.fork()).orElseThrow();
        long count;
        long newest;
        String masked;
        try (Connection app = source.connectToFork(fork);
                Statement statement = app.createStatement();
                ResultSet row = statement.executeQuery("select count(*), max(id),"
                        + " (select email from customers order by id limit 1) from orders")) {
            row.next();
            count = row.getLong(1);
            newest = row.getLong(2);
            masked = row.getString(3);
        }
        out.printf(
                "6. the fork holds %d orders, the newest id %d: the shop as of %s (the source has orders up to id %d)%n",
                count, newest, run.pointInTime(), onSource);
        if (newest != expected) {
            throw new ForkrunnerException("the fork's newest order is " + newest + ", not " + expected);
        }
        out.printf("   customers were masked on the fork by jobs/sql/mask.sql: %s%n", masked);
        out.print(source.howToConnect(fork));
        out.printf(
                "   more: ./forkrunner --home %s forks | status %d | drop %s%n", home.root(), run.run(), fork.name());
        out.flush();
        return run;
    }

    private void writeDefinitions(DemoSource source) throws IOException {
        write("config/forkrunner.yml", metadataOfParent());
        write(
                "config/services.yml",
                "regions:\n"
                        + "  demo: { provisioner: local, root: var/regions/demo, ports: " + source.regionPorts()
                        + " }\n"
                        + "services:\n"
                        + "  " + service + ":\n"
                        + "    engine: " + source.engine() + "\n    region: demo\n    host: 127.0.0.1\n    port: "
                        + source.port() + "\n"
                        + "    user: " + (source.engine().equals("postgresql") ? "postgres" : "root")
                        + "\n    password: ${file:var/secrets/source}\n"
                        + "    backups: { keep: 2, wal: stream }\n"
                        + source.serviceExtras());
        write(
                "jobs/" + job + ".yml",
                "description: The demo's fork of the shop, customers masked\n"
                        + "source: " + service + "\ndatabase: shop\ntarget:\n  name: " + service + "-{run}\n"
                        + "integrations:\n  - { type: sql, file: jobs/sql/mask.sql }\n"
                        + "checks:\n  - select count(*) > 0 from orders\nretention:\n  keep: 2\n");
        write("jobs/sql/mask.sql", "update customers set email = concat('customer-', id, '@example.invalid');\n");
    }

    /** The demo keeps its records where its home keeps its own: the parent's metadata section, paths made absolute. */
    private String metadataOfParent() {
        Settings.Metadata metadata = DefinitionReader.read(parent).settings().metadata();
        if (!metadata.configured()) {
            return "# the demo keeps its records in forkrunner's default metadata store\n";
        }
        StringBuilder text =
                new StringBuilder("metadata:\n  url: " + metadata.url() + "\n  user: " + metadata.user() + "\n");
        SecretRef password = metadata.password();
        if (password != null) {
            String name = password.kind() == SecretRef.Kind.FILE
                    ? parent.resolve(password.name()).toString()
                    : password.name();
            text.append("  password: \"")
                    .append(new SecretRef(password.kind(), name))
                    .append("\"\n");
        }
        return text.toString();
    }

    private void write(String relative, String text) throws IOException {
        Path file = home.resolve(relative);
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }

    /** The shop, made once by {@code app}: customers and orders; returns the newest order id. */
    private static int seed(DemoSource source) throws SQLException {
        try (Connection shop = source.connectAsApp();
                Statement statement = shop.createStatement()) {
            statement.execute(
                    "create table if not exists customers (id int primary key, name varchar(80), email varchar(200))");
            statement.execute("create table if not exists orders (id int primary key, customer int,"
                    + " placed timestamp default current_timestamp, note varchar(80),"
                    + " foreign key (customer) references customers (id))");
            try (ResultSet made = statement.executeQuery("select count(*) from customers")) {
                made.next();
                if (made.getInt(1) == 0) {
                    shop.setAutoCommit(false);
                    try (PreparedStatement customer = shop.prepareStatement("insert into customers values (?, ?, ?)")) {
                        for (int id = 1; id <= 20; id++) {
                            customer.setInt(1, id);
                            customer.setString(2, "Customer " + id);
                            customer.setString(3, "person" + id + "@example.com");
                            customer.addBatch();
                        }
                        customer.executeBatch();
                    }
                    shop.commit();
                    shop.setAutoCommit(true);
                }
            }
        }
        int newest = newestOrder(source);
        return newest >= 100 ? newest : insertOrders(source, 100 - newest, "seed");
    }

    /** Writes {@code count} orders in one transaction; returns the newest id. */
    private static int insertOrders(DemoSource source, int count, String note) throws SQLException {
        int newest = newestOrder(source);
        try (Connection shop = source.connectAsApp();
                PreparedStatement order =
                        shop.prepareStatement("insert into orders (id, customer, note) values (?, ?, ?)")) {
            shop.setAutoCommit(false);
            for (int id = newest + 1; id <= newest + count; id++) {
                order.setInt(1, id);
                order.setInt(2, 1 + id % 20);
                order.setString(3, note);
                order.addBatch();
            }
            order.executeBatch();
            shop.commit();
        }
        return newest + count;
    }

    private static int newestOrder(DemoSource source) throws SQLException {
        try (Connection shop = source.connectAsApp();
                Statement statement = shop.createStatement();
                ResultSet newest = statement.executeQuery("select coalesce(max(id), 0) from orders")) {
            newest.next();
            return newest.getInt(1);
        }
    }

    private void awaitArchiver(Forkrunner forkrunner) throws InterruptedException {
        Path archive = forkrunner.bean(BackupKeeper.class).archiveDirectory(service);
        long deadline = System.nanoTime() + ARCHIVE_WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            try (var files = Files.exists(archive) ? Files.list(archive) : java.util.stream.Stream.<Path>empty()) {
                if (files.findAny().isPresent()) {
                    return;
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Thread.sleep(250);
        }
        throw new ForkrunnerException(
                "the demo's WAL archiver did not start within " + ARCHIVE_WAIT.toSeconds() + " s");
    }

    private void awaitArchived(Forkrunner forkrunner, Instant committed) throws InterruptedException {
        BackupKeeper backups = forkrunner.bean(BackupKeeper.class);
        long deadline = System.nanoTime() + ARCHIVE_WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            BackupReport.Window window = backups.report(service).window();
            if (window != null && !window.to().isBefore(committed.minusSeconds(1))) {
                return;
            }
            Thread.sleep(500);
        }
        throw new ForkrunnerException(
                "the demo's last writes did not reach the WAL archive within " + ARCHIVE_WAIT.toSeconds() + " s");
    }

    /** The service user runs the demo's PostgreSQL servers: it must reach the demo's directories. */
    private static void openToServiceUser(Path root) throws IOException {
        Files.createDirectories(root);
        Files.setPosixFilePermissions(root, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        for (Path path = root.getParent(); path != null; path = path.getParent()) {
            if (!Files.getPosixFilePermissions(path)
                    .contains(java.nio.file.attribute.PosixFilePermission.OTHERS_EXECUTE)) {
                throw new ForkrunnerException("the service user cannot reach " + root + " because " + path
                        + " is closed to others; run chmod o+x " + path + ", or run the demo from a home elsewhere"
                        + " (--home DIR)");
            }
        }
    }
}
