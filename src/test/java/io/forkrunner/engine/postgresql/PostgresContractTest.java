package io.forkrunner.engine.postgresql;

import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.SqlEngineContractTest;
import io.forkrunner.system.Secret;
import io.forkrunner.testing.TestHome;
import io.forkrunner.testing.TestSource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Properties;
import java.util.SortedSet;
import java.util.TreeSet;

/** PostgreSQL keeps the engine contract: its records are the rows of table items of database shop. */
class PostgresContractTest extends SqlEngineContractTest {

    @Override
    protected String adminDatabase() {
        return "postgres";
    }

    @Override
    protected Source startSource(TestHome home, String name) {
        TestSource started = TestSource.start(home, name, "Origin-pw-52ab");
        return new Source() {
            @Override
            public Endpoint admin() {
                return new Endpoint("127.0.0.1", started.port(), "postgres", new Secret(started.password()));
            }

            @Override
            public String serviceYaml(String service, String region, String backups) {
                return started.serviceYaml(region, backups);
            }
        };
    }

    @Override
    protected Connection connect(Endpoint server, String database) throws SQLException {
        Properties login = new Properties();
        login.setProperty("user", server.user());
        login.setProperty("password", server.password().reveal());
        login.setProperty("PGDBNAME", database);
        return DriverManager.getConnection("jdbc:postgresql://" + server.host() + ":" + server.port() + "/", login);
    }

    @Override
    protected void createReader(Endpoint admin, String password) throws SQLException {
        try (Connection shop = connect(admin, "shop");
                Statement statement = shop.createStatement()) {
            statement.execute("create role readers");
            statement.execute("grant select on items to readers");
            statement.execute("create role reader login password '" + password + "' in role readers");
        }
    }

    @Override
    protected Map.Entry<String, String> nonDefaultSetting() {
        return Map.entry("work_mem", "7MB");
    }

    @Override
    protected void setSetting(Endpoint admin, String name, String value) throws SQLException {
        try (Connection postgres = connect(admin, "postgres");
                Statement statement = postgres.createStatement()) {
            statement.execute("alter system set " + name + " = '" + value + "'");
            statement.execute("select pg_reload_conf()");
        }
    }

    @Override
    protected String readSetting(Endpoint admin, String name) throws SQLException {
        try (Connection postgres = connect(admin, "postgres");
                Statement statement = postgres.createStatement();
                ResultSet row = statement.executeQuery("show " + name)) {
            row.next();
            return row.getString(1);
        }
    }

    @Override
    protected SortedSet<String> users(Endpoint admin) throws SQLException {
        SortedSet<String> users = new TreeSet<>();
        try (Connection postgres = connect(admin, "postgres");
                Statement statement = postgres.createStatement();
                ResultSet rows = statement.executeQuery("select r.rolname, r.rolcanlogin, r.rolsuper,"
                        + " coalesce(string_agg(g.rolname, ',' order by g.rolname), '') from pg_roles r"
                        + " left join pg_auth_members m on m.member = r.oid left join pg_roles g on g.oid = m.roleid"
                        + " where r.rolname !~ '^pg_' group by 1, 2, 3")) {
            while (rows.next()) {
                users.add(rows.getString(1) + " login=" + rows.getBoolean(2) + " super=" + rows.getBoolean(3) + " in="
                        + rows.getString(4));
            }
        }
        return users;
    }
}
