package io.forkrunner.engine.mariadb;

import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.Inspection;
import io.forkrunner.engine.MajorMinor;
import io.forkrunner.engine.Role;
import io.forkrunner.engine.TableCount;
import io.forkrunner.engine.Users;
import io.forkrunner.system.Command;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.Sha256;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What forkrunner reads from a MariaDB server: databases, tables and their rows, users with their password hashes'
 * digests and roles; the job's checks and SQL files run there.
 */
final class MariaDbInspection implements Inspection, Users {

    /** The server's own schemas: neither a fork's data nor counted. */
    static final Set<String> SYSTEM_SCHEMAS = Set.of("information_schema", "performance_schema", "mysql", "sys");

    private final MariaDbEngine engine;

    MariaDbInspection(MariaDbEngine engine) {
        this.engine = engine;
    }

    @Override
    public int majorVersion(Endpoint endpoint) {
        return MajorMinor.number(single(endpoint, "select version()"), "MariaDB");
    }

    @Override
    public List<String> databases(Endpoint endpoint) {
        List<String> databases = new ArrayList<>();
        try (Connection connection = engine.connect(endpoint, null);
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery(
                        "select schema_name from information_schema.schemata" + " order by schema_name")) {
            while (rows.next()) {
                if (!SYSTEM_SCHEMAS.contains(rows.getString(1))) {
                    databases.add(rows.getString(1));
                }
            }
        } catch (SQLException e) {
            throw new ForkrunnerException("cannot list the databases of " + endpoint + ": " + e.getMessage(), e);
        }
        return databases;
    }

    @Override
    public List<TableCount> tableCounts(Endpoint endpoint) {
        List<TableCount> counts = new ArrayList<>();
        for (String database : databases(endpoint)) {
            counts.addAll(tableCounts(endpoint, database));
        }
        return counts;
    }

    /** Counts the rows of every base table of {@code database}: each table must read. */
    @Override
    public List<TableCount> tableCounts(Endpoint endpoint, String database) {
        List<TableCount> counts = new ArrayList<>();
        try (Connection connection = engine.connect(endpoint, database)) {
            List<String> tables = tables(connection, database);
            try (Statement statement = connection.createStatement()) {
                for (String table : tables) {
                    try (ResultSet row = statement.executeQuery("select count(*) from " + MariaDbEngine.quote(database)
                            + "." + MariaDbEngine.quote(table))) {
                        row.next();
                        counts.add(new TableCount(database, "", table, row.getLong(1), false));
                    } catch (SQLException e) {
                        throw new ForkrunnerException(
                                "table " + database + "." + table + " does not read on the fork: " + e.getMessage(), e);
                    }
                }
            }
        } catch (SQLException e) {
            throw new ForkrunnerException(
                    "cannot read database " + database + " of " + endpoint + ": " + e.getMessage(), e);
        }
        return counts;
    }

    /** The base tables of {@code database}, by name. */
    static List<String> tables(Endpoint endpoint, MariaDbEngine engine, String database) {
        try (Connection connection = engine.connect(endpoint, null)) {
            return tables(connection, database);
        } catch (SQLException e) {
            throw new ForkrunnerException(
                    "cannot list the tables of " + database + " on " + endpoint + ": " + e.getMessage(), e);
        }
    }

    private static List<String> tables(Connection connection, String database) throws SQLException {
        List<String> tables = new ArrayList<>();
        try (PreparedStatement list = connection.prepareStatement("select table_name from information_schema.tables"
                + " where table_schema = ? and table_type = 'BASE TABLE' order by table_name")) {
            list.setString(1, database);
            try (ResultSet rows = list.executeQuery()) {
                while (rows.next()) {
                    tables.add(rows.getString(1));
                }
            }
        }
        return tables;
    }

    @Override
    public Map<String, String> extensions(Endpoint endpoint) {
        return Map.of(); // MariaDB has plugins, server-wide, carried in the backup's mysql schema
    }

    /** None: MariaDB needs no database to connect to, and a check names its tables with theirs. */
    @Override
    public String defaultDatabase() {
        return null;
    }

    @Override
    public boolean check(Endpoint endpoint, String database, String sql) {
        try (Connection connection = engine.connect(endpoint, database);
                Statement statement = connection.createStatement();
                ResultSet row = statement.executeQuery(sql)) {
            return row.next() && row.getBoolean(1);
        } catch (SQLException e) {
            throw new ForkrunnerException(
                    "check \"" + sql + "\" failed on database " + database + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void runSql(Endpoint endpoint, String database, Path file, Path log) {
        try (OptionFile login = engine.optionFile(endpoint)) {
            engine.runner()
                    .pipe(
                            Command.of("cat", "--", file.toString()).loggingTo(log),
                            Command.of(
                                            database == null
                                                    ? List.of(
                                                            engine.binaries()
                                                                    .client()
                                                                    .toString(),
                                                            login.argument(),
                                                            "--batch")
                                                    : List.of(
                                                            engine.binaries()
                                                                    .client()
                                                                    .toString(),
                                                            login.argument(),
                                                            "--database=" + database,
                                                            "--batch"))
                                    .asServiceUser()
                                    .loggingTo(log)
                                    .withTimeout(Duration.ofHours(6)));
        }
    }

    /**
     * Users and roles as {@code mysql.user} shows them ({@code NAME@HOST}, roles with an empty host), each with a digest
     * of its authentication plugin and hash, its global privileges that matter here and the roles granted to it.
     */
    @Override
    public List<Role> roles(Endpoint endpoint) {
        Map<String, Role> roles = new TreeMap<>();
        try (Connection connection = engine.connect(endpoint, null);
                Statement statement = connection.createStatement()) {
            Map<String, List<String>> granted = new TreeMap<>();
            try (ResultSet rows =
                    statement.executeQuery("select User, Host, Role from mysql.roles_mapping" + " order by Role")) {
                while (rows.next()) {
                    granted.computeIfAbsent(rows.getString(1) + "@" + rows.getString(2), key -> new ArrayList<>())
                            .add(rows.getString(3));
                }
            }
            try (ResultSet rows = statement.executeQuery("select u.User, u.Host, u.is_role, u.Super_priv,"
                    + " u.Create_priv, u.Create_user_priv, u.Repl_slave_priv, u.max_user_connections, u.plugin,"
                    + " u.authentication_string,"
                    + " if(json_value(g.Priv, '$.account_locked') = 'true', 'Y', 'N') from mysql.user u"
                    + " left join mysql.global_priv g on g.User = u.User and g.Host = u.Host")) {
                while (rows.next()) {
                    String name = rows.getString(1) + "@" + rows.getString(2);
                    boolean role = "Y".equals(rows.getString(3));
                    roles.put(
                            name,
                            new Role(
                                    name,
                                    "Y".equals(rows.getString(4)),
                                    !role && !"Y".equals(rows.getString(11)),
                                    "Y".equals(rows.getString(5)),
                                    "Y".equals(rows.getString(6)),
                                    "Y".equals(rows.getString(7)),
                                    false,
                                    rows.getInt(8),
                                    digest(rows.getString(9) + ":" + rows.getString(10)),
                                    granted.getOrDefault(name, List.of())));
                }
            }
        } catch (SQLException e) {
            throw new ForkrunnerException("cannot read the users of " + endpoint + ": " + e.getMessage(), e);
        }
        return List.copyOf(roles.values());
    }

    /** Locks every account but the one {@code admin} logs in with: no one else logs in to the fork. */
    @Override
    public void removePasswords(Endpoint admin) {
        try (Connection connection = engine.connect(admin, null);
                Statement statement = connection.createStatement()) {
            List<String> accounts = new ArrayList<>();
            try (ResultSet rows = statement.executeQuery("select User, Host from mysql.user where is_role = 'N'")) {
                while (rows.next()) {
                    if (!rows.getString(1).equals(admin.user())) {
                        accounts.add(MariaDbEngine.literal(rows.getString(1)) + "@"
                                + MariaDbEngine.literal(rows.getString(2)));
                    }
                }
            }
            for (String account : accounts) {
                statement.execute("alter user " + account + " account lock");
            }
        } catch (SQLException e) {
            throw new ForkrunnerException("cannot lock the users of " + admin + ": " + e.getMessage(), e);
        }
    }

    private String single(Endpoint endpoint, String sql) {
        try (Connection connection = engine.connect(endpoint, null);
                Statement statement = connection.createStatement();
                ResultSet row = statement.executeQuery(sql)) {
            row.next();
            return row.getString(1);
        } catch (SQLException e) {
            throw new ForkrunnerException("cannot reach " + endpoint + ": " + e.getMessage(), e);
        }
    }

    private static String digest(String text) {
        return Sha256.hex(text).substring(0, 16);
    }
}
