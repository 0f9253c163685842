package io.forkrunner.engine.postgresql;

import io.forkrunner.engine.Checkpoints;
import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.GeneratedLogin;
import io.forkrunner.engine.LogicalCopy;
import io.forkrunner.engine.NewDatabase;
import io.forkrunner.engine.Place;
import io.forkrunner.engine.Progress;
import io.forkrunner.system.DirectoryTree;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.Passfile;
import io.forkrunner.system.ProcessRunner;
import io.forkrunner.system.Secret;
import io.forkrunner.system.ServiceUser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

/**
 * A logical copy into another major version: pg_dump (directory format, in parallel) of a temporary physical restore,
 * then, into a new server of the target version, the roles with their verifiers, each database's schema, its tables one
 * by one (each recorded when loaded, so that a restart loads only the rest), and last its indexes and constraints.
 */
final class PostgresLogicalRestore implements LogicalCopy {

    private static final Logger log = LoggerFactory.getLogger(PostgresLogicalRestore.class);
    /** A table's data in pg_restore's list: its dump id and the table's OID; its names are read from the index. */
    private static final Pattern TABLE_DATA = Pattern.compile("^(\\d+); \\d+ (\\d+) TABLE DATA .*$");

    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** The index of a dump: which database each directory holds, and the names of its tables by OID. */
    private static final String INDEX = "databases.json";

    private static final Duration LONG = Duration.ofHours(12);
    private static final int JOBS = 2;

    private final PostgresEngine engine;
    private final ProcessRunner runner;

    PostgresLogicalRestore(PostgresEngine engine) {
        this.engine = engine;
        this.runner = engine.runner();
    }

    /** Dumps these databases and the roles of the server at {@code source} into {@code directory}. */
    @Override
    public void dump(
            Endpoint source, Path directory, List<String> databases, Checkpoints checkpoints, Progress progress) {
        runner.serviceUser().privateDirectory(directory);
        Path log = directory.resolve("dump.log");
        try (Passfile passfile = engine.passfile(source)) {
            if (!checkpoints.reached("dumped-roles")) {
                runner.run(engine.clientCommand(
                                source,
                                passfile,
                                "pg_dumpall",
                                "--roles-only",
                                "--file=" + directory.resolve("roles.sql"))
                        .loggingTo(log)
                        .withTimeout(LONG));
                new PostgresRoles(engine).save(source, databases, directory.resolve("roles.json"));
                checkpoints.reach("dumped-roles");
            }
            Map<String, Long> oids = new PostgresCatalog(engine).databaseOids(source);
            int done = 0;
            for (String database : databases) {
                Long oid = oids.get(database);
                if (oid == null) {
                    throw new ForkrunnerException(
                            "database " + database + " is not in the restored backup; it holds " + oids.keySet());
                }
                String checkpoint = "dumped-database:" + oid;
                if (!checkpoints.reached(checkpoint)) {
                    Path target = directory.resolve(DumpedDatabase.directory(oid));
                    DirectoryTree.deleteUnder(directory, target);
                    runner.run(engine.clientCommand(
                                    source,
                                    passfile,
                                    "pg_dump",
                                    "--format=directory",
                                    "--jobs=" + JOBS,
                                    "--file=" + target,
                                    PostgresEngine.dbname(database))
                            .loggingTo(log)
                            .withTimeout(LONG));
                    checkpoints.reach(checkpoint);
                }
                progress.report("databases dumped", ++done, databases.size());
            }
            List<DumpedDatabase> index = new ArrayList<>();
            for (String database : databases) {
                index.add(new DumpedDatabase(oids.get(database), database, tableNames(source, database)));
            }
            write(directory.resolve(INDEX), JSON.writeValueAsString(index));
        }
    }

    /**
     * A database in a dump: its directory is named by its OID, never by its name, which may hold any character.
     *
     * @param tables schema and name of each table, by the table's OID in the dumped server
     */
    record DumpedDatabase(long oid, String name, Map<Long, List<String>> tables) {

        DumpedDatabase {
            Objects.requireNonNull(name, "name");
            tables = Map.copyOf(tables);
        }

        static String directory(long oid) {
            return "db-" + oid;
        }

        String directory() {
            return directory(oid);
        }
    }

    private Map<Long, List<String>> tableNames(Endpoint source, String database) {
        Map<Long, List<String>> tables = new LinkedHashMap<>();
        try (Connection connection = engine.connect(source, database);
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("select c.oid, n.nspname, c.relname from pg_class c"
                        + " join pg_namespace n on n.oid = c.relnamespace where c.relkind in ('r', 'p')")) {
            while (rows.next()) {
                tables.put(rows.getLong(1), List.of(rows.getString(2), rows.getString(3)));
            }
        } catch (SQLException e) {
            throw new ForkrunnerException(
                    "cannot list the tables of database " + database + " to dump: " + e.getMessage(), e);
        }
        return tables;
    }

    private static List<DumpedDatabase> index(Path dump) {
        try {
            return List.of(JSON.readValue(Files.readString(dump.resolve(INDEX)), DumpedDatabase[].class));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + dump.resolve(INDEX), e);
        }
    }

    private static DumpedDatabase dumped(Path dump, String database) {
        return index(dump).stream()
                .filter(dumped -> dumped.name().equals(database))
                .findFirst()
                .orElseThrow(() -> new ForkrunnerException(
                        "database " + database + " is not in the dump " + dump + "; its index names "
                                + index(dump).stream().map(DumpedDatabase::name).toList()));
    }

    /** Loads a dump made by {@link #dump} into the running server at {@code place}. */
    @Override
    public void load(Place place, Endpoint admin, Path dump, Checkpoints checkpoints, Progress progress) {
        Endpoint target = new Endpoint("127.0.0.1", place.port(), admin.user(), admin.password());
        Path log = dump.resolve("restore.log");
        List<DumpedDatabase> databases = index(dump);
        try (Passfile passfile = engine.passfile(target)) {
            if (!checkpoints.reached("loaded-roles")) {
                // roles that exist already (the superuser initdb made) are reported and kept: no ON_ERROR_STOP
                runner.run(engine.clientCommand(
                                target,
                                passfile,
                                "psql",
                                "--dbname=postgres",
                                "--no-psqlrc",
                                "--quiet",
                                "--file=" + dump.resolve("roles.sql"))
                        .loggingTo(log)
                        .withTimeout(LONG));
                checkpoints.reach("loaded-roles");
            }
            Map<String, DumpedDatabase> sources = new LinkedHashMap<>();
            databases.forEach(database -> sources.put(database.name(), database));
            loadTables(target, passfile, dump, sources, List.of(), checkpoints, progress, database -> {
                createSchema(
                        target,
                        passfile,
                        database,
                        dump.resolve(sources.get(database).directory()),
                        log);
            });
        }
    }

    /**
     * Loads the database {@code source} of a dump into the existing server at {@code server} as the new database
     * {@code database}. With {@code withRoles}, the roles the server lacks are created from the dump (never superuser,
     * replication or bypassing row security) and those it has are left as they are; without, the new database's objects
     * belong to {@code server}'s login.
     */
    @Override
    public NewDatabase loadInto(
            Endpoint server,
            String source,
            String database,
            boolean withRoles,
            Path dump,
            Checkpoints checkpoints,
            Progress progress) {
        PostgresRoles roles = new PostgresRoles(engine);
        NewDatabase created = withRoles
                ? roles.createMissing(server, dump.resolve("roles.json"), dump.resolve("roles-existing"))
                : new NewDatabase(List.of(), List.of(), List.of());
        Path log = dump.resolve("restore.log");
        List<String> ownership = withRoles ? List.of() : List.of("--no-owner", "--no-privileges");
        DumpedDatabase dumped = dumped(dump, source);
        try (Passfile passfile = engine.passfile(server)) {
            loadTables(server, passfile, dump, Map.of(database, dumped), ownership, checkpoints, progress, name -> {
                String made = "made-database:" + name;
                if (checkpoints.reached(made)) {
                    dropIfHalfMade(server, name); // this run made it, and was killed before its schema was whole
                }
                createDatabase(server, name, withRoles ? roles.owner(dump.resolve("roles.json"), source) : null);
                checkpoints.reach(made);
                List<String> argv = new ArrayList<>(List.of("--section=pre-data", "--exit-on-error"));
                argv.addAll(ownership);
                argv.add(PostgresEngine.dbname(name));
                argv.add(dump.resolve(dumped.directory()).toString());
                runner.run(engine.clientCommand(server, passfile, "pg_restore", argv.toArray(String[]::new))
                        .loggingTo(log)
                        .withTimeout(LONG));
            });
        }
        return created;
    }

    /**
     * Into each database (a key of {@code sources}, loaded from the dumped database its value names): its schema (made
     * by {@code createSchema} unless recorded), then its tables one by one, each recorded when loaded and skipped when
     * recorded, then its indexes and constraints, with {@code options} for pg_restore.
     */
    private void loadTables(
            Endpoint target,
            Passfile passfile,
            Path dump,
            Map<String, DumpedDatabase> sources,
            List<String> options,
            Checkpoints checkpoints,
            Progress progress,
            Consumer<String> createSchema) {
        Path log = dump.resolve("restore.log");
        List<Table> tables = new ArrayList<>();
        sources.forEach((database, source) -> tables.addAll(tables(target, passfile, dump, source, database)));
        int loaded = (int) tables.stream()
                .filter(table -> checkpoints.reached(table.checkpoint()))
                .count();
        for (String database : sources.keySet()) {
            if (!checkpoints.reached("schema:" + database)) {
                createSchema.accept(database);
                checkpoints.reach("schema:" + database);
            }
        }
        for (Table table : tables) {
            if (!checkpoints.reached(table.checkpoint())) {
                loadTable(target, passfile, table, dump, log);
                appendLoaded(dump, table);
                checkpoints.reach(table.checkpoint());
                progress.report("tables restored", ++loaded, tables.size());
            }
        }
        for (String database : sources.keySet()) {
            if (!checkpoints.reached("indexes:" + database)) {
                List<String> argv = new ArrayList<>(List.of(
                        "--section=post-data", "--jobs=" + JOBS, PostgresEngine.dbname(database), "--exit-on-error"));
                argv.addAll(options);
                argv.add(dump.resolve(sources.get(database).directory()).toString());
                runner.run(engine.clientCommand(target, passfile, "pg_restore", argv.toArray(String[]::new))
                        .loggingTo(log)
                        .withTimeout(LONG));
                checkpoints.reach("indexes:" + database);
            }
        }
        progress.report("tables restored", tables.size(), tables.size());
    }

    /** A table's data in the dump: its TOC line and dump id, and where it goes. */
    record Table(DumpedDatabase source, String database, long dumpId, String schema, String name, String tocLine) {

        /** Recorded by dump id, which a name cannot imitate; the database name last, as it may hold anything. */
        String checkpoint() {
            return "table:" + dumpId + ":" + database;
        }
    }

    private List<Table> tables(Endpoint target, Passfile passfile, Path dump, DumpedDatabase source, String database) {
        String toc = runner.run(engine.clientCommand(
                        target,
                        passfile,
                        "pg_restore",
                        "--list",
                        dump.resolve(source.directory()).toString())
                .withTimeout(Duration.ofMinutes(10)));
        List<Table> tables = new ArrayList<>();
        for (String line : toc.lines().toList()) {
            Matcher matcher = TABLE_DATA.matcher(line);
            if (matcher.matches()) {
                List<String> names = source.tables().get(Long.parseLong(matcher.group(2)));
                if (names == null) {
                    throw new ForkrunnerException("the dump of database " + source.name() + " holds data of table OID "
                            + matcher.group(2) + ", which its index " + dump.resolve(INDEX) + " does not name");
                }
                tables.add(new Table(
                        source, database, Long.parseLong(matcher.group(1)), names.get(0), names.get(1), line));
            }
        }
        return tables;
    }

    /** The database (created unless it is {@code postgres}) with its schema: tables, types, functions; no data yet. */
    private void createSchema(Endpoint target, Passfile passfile, String database, Path directory, Path log) {
        List<String> argv = new ArrayList<>(List.of("--section=pre-data", "--exit-on-error"));
        if (database.equals("postgres")) {
            argv.add("--dbname=postgres");
        } else {
            dropIfHalfMade(target, database);
            argv.add("--create");
            argv.add("--dbname=postgres");
        }
        argv.add(directory.toString());
        runner.run(engine.clientCommand(target, passfile, "pg_restore", argv.toArray(String[]::new))
                .loggingTo(log)
                .withTimeout(LONG));
    }

    /** A new, empty database: refused, and nothing changed, when the server has one of that name. */
    private void createDatabase(Endpoint server, String database, String owner) {
        try (Connection connection = engine.connect(server, "postgres");
                Statement statement = connection.createStatement()) {
            statement.execute("create database " + PostgresCatalog.quote(database) + " template template0"
                    + (owner == null ? "" : " owner " + PostgresCatalog.quote(owner)));
        } catch (SQLException e) {
            throw new ForkrunnerException(
                    "cannot create database " + database + " on " + server + ": " + e.getMessage(), e);
        }
    }

    /** A database left by a restore that died before its schema was recorded: made again from the start. */
    private void dropIfHalfMade(Endpoint target, String database) {
        try (Connection connection = engine.connect(target, "postgres");
                Statement statement = connection.createStatement()) {
            statement.execute("drop database if exists " + PostgresCatalog.quote(database) + " with (force)");
        } catch (SQLException e) {
            throw new ForkrunnerException(
                    "cannot clear database " + database + " on the new server: " + e.getMessage(), e);
        }
    }

    /** One table's rows: emptied first, so that a table a killed restore half-loaded is loaded whole. */
    private void loadTable(Endpoint target, Passfile passfile, Table table, Path dump, Path log) {
        try (Connection connection = engine.connect(target, table.database());
                Statement statement = connection.createStatement()) {
            statement.execute(
                    "truncate " + PostgresCatalog.quote(table.schema()) + "." + PostgresCatalog.quote(table.name()));
        } catch (SQLException e) {
            throw new ForkrunnerException(
                    "cannot empty " + table.schema() + "." + table.name() + " before loading it: " + e.getMessage(), e);
        }
        Path list = dump.resolve(table.source().directory() + "-" + table.dumpId() + ".list");
        write(list, table.tocLine() + "\n");
        runner.run(engine.clientCommand(
                        target,
                        passfile,
                        "pg_restore",
                        "--data-only",
                        "--exit-on-error",
                        "--use-list=" + list,
                        PostgresEngine.dbname(table.database()),
                        dump.resolve(table.source().directory()).toString())
                .loggingTo(log)
                .withTimeout(LONG));
    }

    /**
     * The tables loaded, one line each, in the order they were, beside the dump (which goes when the load is done):
     * what each restart did is there to read. Written before the table's checkpoint: a table loaded again because its
     * run was killed between the two is the last line already, and is not written twice.
     */
    private void appendLoaded(Path dump, Table table) {
        Path file = dump.resolveSibling("tables-loaded");
        String line = table.database() + "." + table.schema() + "." + table.name();
        try {
            if (("\n" + ServiceUser.readIfExists(file)).endsWith("\n" + line + "\n")) {
                return;
            }
            Files.writeString(
                    file, line + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void write(Path file, String text) {
        runner.serviceUser().write(file, text);
    }

    @Override
    public void initialize(Place place, Endpoint admin) {
        PostgresServer server = new PostgresServer(runner, PostgresBinaries.of(place.version()), place.directory());
        if (server.isRunning()) {
            server.stop(); // made by a restore that died before it was recorded: made again
        }
        runner.serviceUser().privateDirectory(place.directory());
        Secret password = admin.password() == null ? GeneratedLogin.password(place.directory()) : admin.password();
        server.initialize(admin.user(), place.port(), password, Map.of());
        server.start();
    }

    @Override
    public void dropDatabase(Endpoint server, String database) {
        try (Connection connection = engine.connect(server, "postgres");
                Statement statement = connection.createStatement()) {
            statement.execute("drop database if exists " + PostgresCatalog.quote(database) + " with (force)");
        } catch (SQLException e) {
            throw new ForkrunnerException(
                    "cannot drop database " + database + " on " + server + ": " + e.getMessage(), e);
        }
    }
}
