package io.forkrunner.engine.postgresql;

import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.Inspection;
import io.forkrunner.engine.Role;
import io.forkrunner.engine.TableCount;
import io.forkrunner.engine.Users;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.Passfile;
import io.forkrunner.system.Sha256;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** What forkrunner reads from a server's catalogs: roles, databases, tables; and checks and SQL files run there. */
final class PostgresCatalog implements Inspection, Users {

    private final PostgresEngine engine;

    PostgresCatalog(PostgresEngine engine) {
        this.engine = engine;
    }

    @Override
    public List<Role> roles(Endpoint endpoint) {
        String sql = "select r.rolname, r.rolsuper, r.rolcanlogin, r.rolcreatedb, r.rolcreaterole, r.rolreplication,"
                + " r.rolbypassrls, r.rolconnlimit, r.rolpassword,"
                + " array(select g.rolname from pg_auth_members m join pg_roles g on g.oid = m.roleid"
                + " where m.member = r.oid order by 1) as member_of"
                + " from pg_authid r where r.rolname !~ '^pg_' order by r.rolname";
        List<Role> roles = new ArrayList<>();
        try (Connection connection = engine.connect(endpoint, "postgres");
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery(sql)) {
            while (rows.next()) {
                roles.add(new Role(
                        rows.getString(1),
                        rows.getBoolean(2),
                        rows.getBoolean(3),
                        rows.getBoolean(4),
                        rows.getBoolean(5),
                        rows.getBoolean(6),
                        rows.getBoolean(7),
                        rows.getInt(8),
                        digest(rows.getString(9)),
                        Arrays.asList((String[]) rows.getArray(10).getArray())));
            }
        } catch (SQLException e) {
            throw new ForkrunnerException(
                    "cannot read the roles of " + endpoint + " (forkrunner needs a superuser login " + "there): "
                            + e.getMessage(),
                    e);
        }
        return roles;
    }

    private static String digest(String verifier) {
        if (verifier == null) {
            return null;
        }
        return Sha256.hex(verifier).substring(0, 16);
    }

    @Override
    public List<String> databases(Endpoint endpoint) {
        return new ArrayList<>(databaseOids(endpoint).keySet());
    }

    /** The OID of each database that takes connections and is no template, by name, in the order of the names. */
    Map<String, Long> databaseOids(Endpoint endpoint) {
        Map<String, Long> oids = new LinkedHashMap<>();
        try (Connection connection = engine.connect(endpoint, "postgres");
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("select datname, oid from pg_database"
                        + " where datallowconn and not datistemplate order by datname")) {
            while (rows.next()) {
                oids.put(rows.getString(1), rows.getLong(2));
            }
        } catch (SQLException e) {
            throw new ForkrunnerException("cannot list the databases of " + endpoint + ": " + e.getMessage(), e);
        }
        return oids;
    }

    @Override
    public Map<String, String> extensions(Endpoint endpoint) {
        Map<String, String> extensions = new TreeMap<>();
        for (String database : databases(endpoint)) {
            try (Connection connection = engine.connect(endpoint, database);
                    Statement statement = connection.createStatement();
                    ResultSet rows = statement.executeQuery("select extname, extversion from pg_extension")) {
                while (rows.next()) {
                    extensions.put(database + "." + rows.getString(1), rows.getString(2));
                }
            } catch (SQLException e) {
                throw new ForkrunnerException("cannot list the extensions of " + database + ": " + e.getMessage(), e);
            }
        }
        return extensions;
    }

    @Override
    public void runSql(Endpoint endpoint, String database, Path file, Path log) {
        try (Passfile passfile = engine.passfile(endpoint)) {
            engine.runner()
                    .run(engine.clientCommand(
                                    endpoint,
                                    passfile,
                                    "psql",
                                    PostgresEngine.dbname(database),
                                    "--no-psqlrc",
                                    "--quiet",
                                    "--set=ON_ERROR_STOP=1",
                                    "--file=" + file)
                            .loggingTo(log)
                            .withTimeout(Duration.ofHours(6)));
        }
    }

    @Override
    public String defaultDatabase() {
        return "postgres";
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

    /**
     * Counts the rows of every table of every database: each table must read. A materialized view created
     * {@code WITH NO DATA} reads on no server and is left out.
     */
    @Override
    public List<TableCount> tableCounts(Endpoint endpoint) {
        return tableCounts(endpoint, databases(endpoint));
    }

    @Override
    public List<TableCount> tableCounts(Endpoint endpoint, String database) {
        return tableCounts(endpoint, List.of(database));
    }

    private List<TableCount> tableCounts(Endpoint endpoint, List<String> databases) {
        List<TableCount> counts = new ArrayList<>();
        for (String database : databases) {
            try (Connection connection = engine.connect(endpoint, database);
                    Statement statement = connection.createStatement()) {
                List<String[]> tables = new ArrayList<>();
                try (ResultSet rows = statement.executeQuery("select n.nspname, c.relname, c.relpersistence = 'u'"
                        + " from pg_class c join pg_namespace n on n.oid = c.relnamespace"
                        + " where c.relkind in ('r', 'p', 'm') and n.nspname <> 'information_schema'"
                        + " and n.nspname !~ '^pg_' and (c.relkind <> 'm' or c.relispopulated) order by 1, 2")) {
                    while (rows.next()) {
                        tables.add(new String[] {rows.getString(1), rows.getString(2), rows.getString(3)});
                    }
                }
                for (String[] table : tables) {
                    String qualified = quote(table[0]) + "." + quote(table[1]);
                    try (ResultSet row = statement.executeQuery("select count(*) from " + qualified)) {
                        row.next();
                        counts.add(new TableCount(database, table[0], table[1], row.getLong(1), table[2].equals("t")));
                    } catch (SQLException e) {
                        throw new ForkrunnerException(
                                "table " + database + "." + table[0] + "." + table[1] + " does not read on the fork: "
                                        + e.getMessage(),
                                e);
                    }
                }
            } catch (SQLException e) {
                throw new ForkrunnerException(
                        "cannot read database " + database + " of " + endpoint + ": " + e.getMessage(), e);
            }
        }
        return counts;
    }

    @Override
    public int majorVersion(Endpoint endpoint) {
        try (Connection connection = engine.connect(endpoint, "postgres");
                Statement statement = connection.createStatement();
                ResultSet row = statement.executeQuery("select current_setting('server_version_num')::int / 10000")) {
            row.next();
            return row.getInt(1);
        } catch (SQLException e) {
            throw new ForkrunnerException("cannot reach " + endpoint + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void removePasswords(Endpoint admin) {

        try (Connection connection = engine.connect(admin, "postgres");
                Statement statement = connection.createStatement()) {
            List<String> roles = new ArrayList<>();
            try (ResultSet rows = statement.executeQuery(
                    "select rolname from pg_authid where rolpassword is not null and rolname <> current_user")) {
                while (rows.next()) {
                    roles.add(rows.getString(1));
                }
            }
            for (String role : roles) {
                statement.execute("alter role " + quote(role) + " password null");
            }
        } catch (SQLException e) {
            throw new ForkrunnerException("cannot remove the passwords of the fork's roles: " + e.getMessage(), e);
        }
    }

    static String quote(String identifier) {

        return '"' + identifier.replace("\"", "\"\"") + '"';
    }
}
