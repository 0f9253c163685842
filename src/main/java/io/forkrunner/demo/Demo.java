package io.forkrunner.demo;

import io.forkrunner.Forkrunner;
import io.forkrunner.backup.BackupKeeper;
import io.forkrunner.backup.BackupReport;
import io.forkrunner.backup.StoredBackup;
import io.forkrunner.backup.WalArchivers;
import io.forkrunner.definition.DefinitionReader;
import io.forkrunner.definition.Settings;
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
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Properties;

/**
 * {@code forkrunner demo}: a real fork on a demo source it makes itself. In a home of its own under {@code var/demo}:
 * a PostgreSQL source with a small shop database, an application role and a pool; a continuous WAL archive; a verified
 * base backup; more orders written after it; a fork to a point in time between two batches of writes; the report, and
 * a line that shows the fork holds the data as of that time.
 */
public final class Demo {

    static final String SERVICE = "demo-shop";
    static final String JOB = "demo-fork";
    private static final Duration ARCHIVE_WAIT = Duration.ofSeconds(60);

    private final Home parent;
    private final Home home;
    private final PrintWriter out;

    public Demo(Home parent, PrintWriter out) {
        this.parent = parent;
        this.home = new Home(parent.var().resolve("demo"));
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
        DemoSource source = DemoSource.prepare(home.root(), runner);
        writeDefinitions(source);
        int first = seed(source);
        out.printf(
                "1. source %s: PostgreSQL on 127.0.0.1:%d, database shop with %d orders, role app, pool app%n",
                SERVICE, source.port(), first);
        try (Forkrunner forkrunner = Forkrunner.boot(home, false)) {
            WalArchivers archivers = forkrunner.bean(WalArchivers.class);
            archivers.start();
            try {
                awaitArchiver(forkrunner);
                out.println("2. WAL archive: pg_receivewal streams the source's WAL on slot forkrunner_demo_shop");
                StoredBackup backup = forkrunner.bean(BackupKeeper.class).backup(SERVICE);
                out.printf(
                        "3. base backup %s: verified by pg_verifybackup, %d MB%n",
                        backup.id(), backup.sizeBytes() / (1024 * 1024));
                int before = insertOrders(source, 50, "after the backup");
                Thread.sleep(1500);
                Instant pointInTime = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MICROS);

                Thread.sleep(1500);
                int after = insertOrders(source, 50, "after the point in time");
                awaitArchived(forkrunner, Instant.now());
                out.printf(
                        "4. wrote orders up to id %d, then chose the point in time %s, then wrote up to id %d%n",
                        before, pointInTime, after);
                long runId =
                        forkrunner.bean(Operator.class).launch(JOB, pointInTime.toString(), Operator.manualTrigger());
                RunView run = forkrunner.bean(RunReports.class).run(runId);
                out.printf("5. fork run %d of job %s:%n", runId, JOB);
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
        Properties app = new Properties();
        app.setProperty("user", "app");
        app.setProperty("password", source.appPassword());
        app.setProperty("preferQueryMode", "simple");
        long count;
        long newest;
        String masked;
        try (Connection pooled =
                        DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + fork.poolPort() + "/app", app);
                Statement statement = pooled.createStatement();
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
        out.printf(
                "   fork %s listens on 127.0.0.1:%d; its pool app on 127.0.0.1:%d%n",
                fork.name(), fork.port(), fork.poolPort());
        out.printf(
                "   connect: PGPASSWORD=$(cat %s) psql \"host=127.0.0.1 port=%d dbname=app user=app\"%n",
                source.passwordFile("app"), fork.poolPort());
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
                        + "  demo: { provisioner: local, root: var/regions/demo, ports: 16400-16479 }\n"
                        + "services:\n"
                        + "  " + SERVICE + ":\n"
                        + "    engine: postgresql\n    region: demo\n    host: 127.0.0.1\n    port: " + source.port()
                        + "\n"
                        + "    user: postgres\n    password: ${file:var/secrets/source}\n"
                        + "    backups: { keep: 2, wal: stream }\n"
                        + "    pools:\n      - { name: app, database: shop, user: app, mode: transaction, size: 5 }\n");
        write(
                "jobs/" + JOB + ".yml",
                "description: The demo's fork of the shop, customers masked\n"
                        + "source: " + SERVICE + "\ntarget:\n  name: demo-shop-{run}\n"
                        + "integrations:\n  - { type: sql, file: jobs/sql/mask.sql }\n"
                        + "checks:\n  - select count(*) > 0 from orders\nretention:\n  keep: 2\n");
        write("jobs/sql/mask.sql", "update customers set email = 'customer-' || id || '@example.invalid';\n");
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

    /** The shop, made once: customers, orders and the role app; returns the newest order id. */
    private static int seed(DemoSource source) throws SQLException {
        try (Connection postgres = source.connect("postgres");
                Statement statement = postgres.createStatement()) {
            try (ResultSet exists = statement.executeQuery("select 1 from pg_database where datname = 'shop'")) {
                if (!exists.next()) {
                    statement.execute("create role app login password '"
                            + source.appPassword().replace("'", "''") + "'");
                    statement.execute("create database shop owner app");
                }
            }
        }
        try (Connection shop = source.connect("shop");
                Statement statement = shop.createStatement()) {
            statement.execute("create table if not exists customers (id int primary key, name text, email text)");
            statement.execute(
                    "create table if not exists orders (id int primary key, customer int references customers,"
                            + " placed timestamptz default now(), note text)");
            statement.execute("insert into customers select g, 'Customer ' || g, 'person' || g || '@example.com'"
                    + " from generate_series(1, 20) g on conflict do nothing");
            statement.execute("alter table customers owner to app");
            statement.execute("alter table orders owner to app");
            statement.execute("insert into orders (id, customer, note) select g, 1 + g % 20, 'seed' from"
                    + " generate_series(1, 100) g on conflict do nothing");
            try (ResultSet newest = statement.executeQuery("select max(id) from orders")) {
                newest.next();
                return newest.getInt(1);
            }
        }
    }

    /** Writes {@code count} orders in one transaction; returns the newest id. */
    private static int insertOrders(DemoSource source, int count, String note) throws SQLException {
        try (Connection shop = source.connect("shop");
                Statement statement = shop.createStatement()) {
            statement.execute("insert into orders (id, customer, note) select max_id + g, 1 + g % 20, '" + note + "'"
                    + " from (select coalesce(max(id), 0) as max_id from orders) m, generate_series(1, " + count
                    + ") g");
            try (ResultSet newest = statement.executeQuery("select max(id) from orders")) {
                newest.next();
                return newest.getInt(1);
            }
        }
    }

    private static void awaitArchiver(Forkrunner forkrunner) throws InterruptedException {
        Path archive = forkrunner.bean(BackupKeeper.class).archiveDirectory(SERVICE);
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

    private static void awaitArchived(Forkrunner forkrunner, Instant committed) throws InterruptedException {
        BackupKeeper backups = forkrunner.bean(BackupKeeper.class);
        long deadline = System.nanoTime() + ARCHIVE_WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            BackupReport.Window window = backups.report(SERVICE).window();
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
