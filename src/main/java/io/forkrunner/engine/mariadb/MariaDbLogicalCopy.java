package io.forkrunner.engine.mariadb;

import io.forkrunner.engine.Checkpoints;
import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.LogicalCopy;
import io.forkrunner.engine.NewDatabase;
import io.forkrunner.engine.Place;
import io.forkrunner.engine.Progress;
import io.forkrunner.system.Command;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.ServiceUser;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.json.JsonMapper;

/**
 * Dump and load for MariaDB: {@code mariadb-dump --single-transaction} of a quiescent temporary restore, a database at a
 * time, its tables each in a file of its own; loaded into an existing server as a new database, table by table, each
 * table a checkpoint (a table a killed load left half-filled is emptied and loaded again). The dump's files are named
 * by position ({@code db-1/table-3.sql}), never by a name read from the source; {@code dump.json} maps them to names.
 * Names reach {@code mariadb-dump} after {@code --}, so none is taken for an option.
 *
 * <p>A table's triggers, the database's routines and its events are loaded after its rows, so no trigger fires on
 * them; events are created disabled (their dump's {@code CREATE EVENT ... ENABLE} rewritten), since a database in a
 * server that runs its own work must not start the source's, not even for the moment before an {@code ALTER EVENT}.
 * Objects whose SQL names the source database explicitly keep naming it.
 */
final class MariaDbLogicalCopy implements LogicalCopy {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String INDEX = "dump.json";
    private static final Duration LONG = Duration.ofHours(12);
    /** Where a {@code CREATE EVENT} says its status: right after its completion clause. */
    private static final Pattern COMPLETION = Pattern.compile(" ON COMPLETION (NOT )?PRESERVE ");

    private static final Pattern STATUS = Pattern.compile("(ENABLE|DISABLE ON SLAVE|DISABLE) ");

    private final MariaDbEngine engine;

    MariaDbLogicalCopy(MariaDbEngine engine) {
        this.engine = engine;
    }

    /** What a dump holds: its databases, in the order of their directories {@code db-1}, {@code db-2}, .... */
    record Dumped(List<DumpedDatabase> databases) {}

    /** A dumped database: its tables in the order of their files {@code table-1.sql}, ..., and its users. */
    record DumpedDatabase(String name, List<String> tables, List<DumpedUser> users) {}

    /**
     * A user or role with privileges on the database (or a user granted such a role), as the source had it.
     *
     * @param create {@code SHOW CREATE USER} (with the password hash), or {@code CREATE ROLE} for a role
     * @param grants {@code SHOW GRANTS} of it, each line a statement
     */
    record DumpedUser(String user, String host, boolean role, String create, List<String> grants) {

        String account() {
            return role ? MariaDbEngine.quote(user) : MariaDbEngine.quote(user) + "@" + MariaDbEngine.quote(host);
        }

        String name() {
            return role ? user : user + "@" + host;
        }
    }

    @Override
    public void dump(
            Endpoint source, Path directory, List<String> databases, Checkpoints checkpoints, Progress progress) {
        ServiceUser serviceUser = engine.runner().serviceUser();
        serviceUser.privateDirectory(directory);
        Dumped dumped;
        if (checkpoints.reached("dump-listed")) {
            dumped = read(directory);
        } else {
            List<DumpedDatabase> listed = new ArrayList<>();
            for (String database : databases) {
                listed.add(new DumpedDatabase(
                        database, MariaDbInspection.tables(source, engine, database), users(source, database)));
            }
            dumped = new Dumped(listed);
            serviceUser.write(directory.resolve(INDEX), JSON.writeValueAsString(dumped));
            checkpoints.reach("dump-listed");
        }
        int total =
                dumped.databases().stream().mapToInt(db -> db.tables().size()).sum();
        int done = 0;
        try (OptionFile login = engine.optionFile(source)) {
            for (int d = 0; d < dumped.databases().size(); d++) {
                DumpedDatabase database = dumped.databases().get(d);
                Path files = directory.resolve("db-" + (d + 1));
                serviceUser.privateDirectory(files);
                dumpOnce(
                        checkpoints,
                        "dumped:db-" + (d + 1) + ":schema",
                        login,
                        files.resolve("schema.sql"),
                        List.of("--no-data", "--skip-triggers", "--", database.name()));
                for (int t = 0; t < database.tables().size(); t++) {
                    String file = "table-" + (t + 1) + ".sql";
                    dumpOnce(
                            checkpoints,
                            "dumped:db-" + (d + 1) + ":" + file,
                            login,
                            files.resolve(file),
                            List.of(
                                    "--no-create-info",
                                    "--skip-triggers",
                                    "--hex-blob",
                                    "--",
                                    database.name(),
                                    database.tables().get(t)));
                    progress.report("tables dumped", ++done, total);
                }
                dumpOnce(
                        checkpoints,
                        "dumped:db-" + (d + 1) + ":code",
                        login,
                        files.resolve("code.sql"),
                        List.of(
                                "--no-data",
                                "--no-create-info",
                                "--triggers",
                                "--add-drop-trigger",
                                "--routines",
                                "--",
                                database.name()));
                dumpOnce(
                        checkpoints,
                        "dumped:db-" + (d + 1) + ":events",
                        login,
                        files.resolve("events.sql"),
                        List.of("--no-data", "--no-create-info", "--skip-triggers", "--events", "--", database.name()));
            }
        }
    }

    private void dumpOnce(Checkpoints checkpoints, String checkpoint, OptionFile login, Path file, List<String> what) {
        if (checkpoints.reached(checkpoint)) {
            return;
        }
        List<String> argv = new ArrayList<>(List.of(
                engine.binaries().dump().toString(),
                login.argument(),
                "--single-transaction",
                "--skip-comments",
                "--result-file=" + file));
        argv.addAll(what);
        engine.runner()
                .run(Command.of(argv)
                        .asServiceUser()
                        .loggingTo(file.resolveSibling("dump.log"))
                        .withTimeout(LONG));
        checkpoints.reach(checkpoint);
    }

    /**
     * The users and roles with a privilege on {@code database}, and the users granted one of those roles, with their
     * definitions and grants.
     */
    private List<DumpedUser> users(Endpoint source, String database) {
        String on = " ON " + MariaDbEngine.quote(database) + ".";
        Map<String, DumpedUser> all = new LinkedHashMap<>();
        try (Connection connection = engine.connect(source, null);
                Statement statement = connection.createStatement()) {
            List<String[]> accounts = new ArrayList<>();
            try (ResultSet rows = statement.executeQuery("select User, Host, is_role from mysql.user order by 1, 2")) {
                while (rows.next()) {
                    accounts.add(new String[] {rows.getString(1), rows.getString(2), rows.getString(3)});
                }
            }
            for (String[] account : accounts) {
                boolean role = "Y".equals(account[2]);
                String quoted = role
                        ? MariaDbEngine.quote(account[0])
                        : MariaDbEngine.quote(account[0]) + "@" + MariaDbEngine.quote(account[1]);
                List<String> grants = lines(statement, "show grants for " + quoted);
                String create = role
                        ? "CREATE ROLE " + quoted
                        : lines(statement, "show create user " + quoted).get(0);
                all.put(quoted, new DumpedUser(account[0], account[1], role, create, grants));
            }
        } catch (SQLException e) {
            throw new ForkrunnerException("cannot read the users of " + source + ": " + e.getMessage(), e);
        }
        Set<String> carried = new LinkedHashSet<>();
        all.forEach((quoted, user) -> {
            if (user.grants().stream().anyMatch(grant -> grant.contains(on))) {
                carried.add(quoted);
            }
        });
        boolean grew = true;
        while (grew) { // users granted a carried role come along
            grew = false;
            for (Map.Entry<String, DumpedUser> entry : all.entrySet()) {
                if (!carried.contains(entry.getKey())
                        && entry.getValue().grants().stream()
                                .anyMatch(grant -> carried.stream()
                                        .filter(quoted -> all.get(quoted).role())
                                        .anyMatch(role -> grant.startsWith("GRANT " + role + " TO ")))) {
                    carried.add(entry.getKey());
                    grew = true;
                }
            }
        }
        return carried.stream().map(all::get).toList();
    }

    private static List<String> lines(Statement statement, String sql) throws SQLException {
        List<String> lines = new ArrayList<>();
        try (ResultSet rows = statement.executeQuery(sql)) {
            while (rows.next()) {
                lines.add(rows.getString(1));
            }
        }
        return lines;
    }

    @Override
    public void initialize(Place place, Endpoint admin) {
        throw notIntoNewInstances();
    }

    @Override
    public void load(Place place, Endpoint admin, Path dump, Checkpoints checkpoints, Progress progress) {
        throw notIntoNewInstances();
    }

    private static ForkrunnerException notIntoNewInstances() {
        return new ForkrunnerException("a logical restore of MariaDB into a new instance (target.version) is not"
                + " supported: fork to the source's version, or into an existing server (target.server)");
    }

    @Override
    public NewDatabase loadInto(
            Endpoint server,
            String source,
            String database,
            boolean withRoles,
            Path dump,
            Checkpoints checkpoints,
            Progress progress) {
        Dumped dumped = read(dump);
        int index = -1;
        for (int d = 0; d < dumped.databases().size(); d++) {
            if (dumped.databases().get(d).name().equals(source)) {
                index = d;
            }
        }
        if (index < 0) {
            throw new ForkrunnerException("the dump in " + dump + " holds no database " + source);
        }
        DumpedDatabase dumpedDatabase = dumped.databases().get(index);
        Path files = dump.resolve("db-" + (index + 1));
        Path log = dump.resolve("load.log");
        String target = MariaDbEngine.quote(database);
        try (Connection connection = engine.connect(server, null);
                Statement statement = connection.createStatement()) {
            if (!checkpoints.reached("making-database")) {
                try (PreparedStatement exists = connection.prepareStatement(
                        "select 1 from information_schema.schemata where schema_name = ?")) {
                    exists.setString(1, database);
                    try (ResultSet row = exists.executeQuery()) {
                        if (row.next()) {
                            throw new ForkrunnerException("database " + database + " exists on " + server
                                    + " already: forkrunner makes a new one and never loads into one it did not"
                                    + " make. Choose another target.database, or drop it yourself");
                        }
                    }
                }
                checkpoints.reach("making-database");
            }
            NewDatabase users = new NewDatabase(List.of(), List.of(), List.of());
            if (!checkpoints.reached("schema")) {
                statement.execute("create database if not exists " + target);
                load(server, database, files.resolve("schema.sql"), log);
                checkpoints.reach("schema");
            }
            List<String> tables = dumpedDatabase.tables();
            for (int t = 0; t < tables.size(); t++) {
                String checkpoint = "loaded:table-" + (t + 1);
                if (!checkpoints.reached(checkpoint)) {
                    // a load killed part-way left some rows: the table starts again empty
                    statement.execute("set foreign_key_checks = 0");
                    statement.execute("truncate table " + target + "." + MariaDbEngine.quote(tables.get(t)));
                    statement.execute("set foreign_key_checks = 1");
                    load(server, database, files.resolve("table-" + (t + 1) + ".sql"), log);
                    checkpoints.reach(checkpoint);
                }
                progress.report("tables restored", t + 1, tables.size());
            }
            if (withRoles) {
                // what a first attempt created is kept: a restart would find those users and call them the server's
                Path made = dump.resolve("users-made.json");
                if (checkpoints.reached("users")) {
                    users = JSON.readValue(ServiceUser.readIfExists(made), NewDatabase.class);
                } else {
                    users = createMissingUsers(statement, dumpedDatabase.users(), source, database);
                    engine.runner().serviceUser().write(made, JSON.writeValueAsString(users));
                    checkpoints.reach("users");
                }
            }
            if (!checkpoints.reached("code")) {
                load(server, database, files.resolve("code.sql"), log);
                Path events = files.resolve("events-disabled.sql");
                engine.runner()
                        .serviceUser()
                        .write(events, disabled(ServiceUser.readIfExists(files.resolve("events.sql")), events));
                load(server, database, events, log);
                checkpoints.reach("code");
            }
            return users;
        } catch (SQLException e) {
            throw new ForkrunnerException(
                    "cannot load database " + source + " into " + database + " of " + server + ": " + e.getMessage(),
                    e);
        }
    }

    /** Runs the SQL of {@code file} on {@code database}, read by the service user (the dump is its directory). */
    private void load(Endpoint server, String database, Path file, Path log) {
        try (OptionFile login = engine.optionFile(server)) {
            engine.runner()
                    .pipe(
                            Command.of("cat", "--", file.toString())
                                    .asServiceUser()
                                    .loggingTo(log),
                            Command.of(
                                            engine.binaries().client().toString(),
                                            login.argument(),
                                            "--database=" + database,
                                            "--batch",
                                            "--binary-mode")
                                    .asServiceUser()
                                    .loggingTo(log)
                                    .withTimeout(LONG));
        }
    }

    /**
     * The events of a dump ({@code mariadb-dump --events}) created disabled: each {@code CREATE EVENT} line's status
     * ({@code ENABLE}, {@code DISABLE ON SLAVE}) becomes {@code DISABLE}, so that no event runs in the new database even
     * for a moment. The status follows the first {@code ON COMPLETION} outside a quoted name or string; a line where
     * it is not found is refused, naming {@code file}, rather than loaded as it is.
     */
    static String disabled(String events, Path file) {
        String[] lines = events.split("\n", -1);
        for (int n = 0; n < lines.length; n++) {
            if (lines[n].startsWith("/*!50106 CREATE*/ ")) {
                lines[n] = disabled(lines[n])
                        .orElseThrow(() -> new ForkrunnerException("cannot find the status of an event in " + file
                                + ": its events are not loaded, since they would run in the new database"));
            }
        }
        return String.join("\n", lines);
    }

    private static Optional<String> disabled(String create) {
        char quote = 0;
        for (int i = 0; i < create.length(); i++) {
            char c = create.charAt(i);
            if (quote != 0) {
                if (c == '\\' && quote != '`') {
                    i++;
                } else if (c == quote) {
                    quote = 0; // a doubled quote closes and opens again
                }
            } else if (c == '`' || c == '\'' || c == '"') {
                quote = c;
            } else if (c == ' ') {
                Matcher completion = COMPLETION.matcher(create).region(i, create.length());
                if (completion.lookingAt()) {
                    Matcher status = STATUS.matcher(create).region(completion.end(), create.length());
                    return status.lookingAt()
                            ? Optional.of(
                                    create.substring(0, status.start()) + "DISABLE " + create.substring(status.end()))
                            : Optional.empty();
                }
            }
        }
        return Optional.empty();
    }

    /**
     * Creates the dumped users and roles the server lacks, with their passwords, and gives them what they had on
     * {@code source}, on {@code database}; roles created here are granted to users created here. Those the server has
     * are left alone. Privileges on the whole server or on other databases, and roles the server had, are withheld.
     */
    private static NewDatabase createMissingUsers(
            Statement statement, List<DumpedUser> users, String source, String database) throws SQLException {
        String from = " ON " + MariaDbEngine.quote(source) + ".";
        String to = " ON " + MariaDbEngine.quote(database) + ".";
        List<String> created = new ArrayList<>();
        List<String> leftAlone = new ArrayList<>();
        Set<String> createdAccounts = new LinkedHashSet<>();
        for (DumpedUser user : users) {
            if (exists(statement.getConnection(), user)) {
                leftAlone.add(user.name());
            } else {
                statement.execute(user.create());
                created.add(user.name());
                createdAccounts.add(user.account());
            }
        }
        List<String> withheld = new ArrayList<>();
        for (DumpedUser user : users) {
            if (!createdAccounts.contains(user.account())) {
                continue;
            }
            List<String> kept = new ArrayList<>();
            for (String grant : user.grants()) {
                if (grant.contains(from)) {
                    statement.execute(grant.replace(from, to));
                } else if (grant.startsWith("GRANT USAGE ON *.* TO ")) {
                    continue; // the account itself, made by its CREATE USER
                } else if (grant.startsWith("SET DEFAULT ROLE ") || isRoleGrant(grant)) {
                    String role = grant.startsWith("SET DEFAULT ROLE ")
                            ? grant.substring("SET DEFAULT ROLE ".length(), grant.indexOf(" FOR "))
                            : grant.substring("GRANT ".length(), grant.indexOf(" TO "));
                    if (createdAccounts.contains(role)) {
                        statement.execute(grant);
                    } else {
                        kept.add("member of " + role);
                    }
                } else {
                    kept.add(grant.substring(0, Math.min(grant.length(), grant.indexOf(" TO ") + 1))
                            .strip());
                }
            }
            if (!kept.isEmpty()) {
                withheld.add(user.name() + ": " + String.join(", ", kept));
            }
        }
        return new NewDatabase(created, leftAlone, withheld);
    }

    /** {@code GRANT `role` TO ...}: a role given, not a privilege. */
    private static boolean isRoleGrant(String grant) {
        return grant.startsWith("GRANT `") && !grant.contains(" ON ");
    }

    private static boolean exists(Connection connection, DumpedUser user) throws SQLException {
        try (PreparedStatement query =
                connection.prepareStatement("select 1 from mysql.global_priv where User = ? and Host = ?")) {
            query.setString(1, user.user());
            query.setString(2, user.role() ? "" : user.host());
            try (ResultSet row = query.executeQuery()) {
                return row.next();
            }
        }
    }

    @Override
    public void dropDatabase(Endpoint server, String database) {
        try (Connection connection = engine.connect(server, null);
                Statement statement = connection.createStatement()) {
            statement.execute("drop database if exists " + MariaDbEngine.quote(database));
        } catch (SQLException e) {
            throw new ForkrunnerException(
                    "cannot drop database " + database + " of " + server + ": " + e.getMessage(), e);
        }
    }

    private static Dumped read(Path directory) {
        return JSON.readValue(ServiceUser.readIfExists(directory.resolve(INDEX)), Dumped.class);
    }
}
