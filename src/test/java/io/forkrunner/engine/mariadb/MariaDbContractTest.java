package io.forkrunner.engine.mariadb;

import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.SqlEngineContractTest;
import io.forkrunner.system.Secret;
import io.forkrunner.testing.TestHome;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;

/** MariaDB keeps the engine contract: its records are the rows of table items of database shop. */
class MariaDbContractTest extends SqlEngineContractTest {

    @Override
    protected String adminDatabase() {
        return "mysql";
    }

    private static final String PASSWORD = "Origin-pw-3e9f";

    @Override
    protected Source startSource(TestHome home, String name) {
        MariaDbTestSource source = MariaDbTestSource.start(home, name, PASSWORD, Map.of());
        return new Source() {
            @Override
            public Endpoint admin() {
                return new Endpoint("127.0.0.1", source.port, "root", new Secret(PASSWORD));
            }

            @Override
            public String serviceYaml(String service, String region, String backups) {
                return source.serviceYaml(service, region, backups);
            }

            @Override
            public void stop() {
                source.close();
            }
        };
    }

    @Override
    protected Connection connect(Endpoint server, String database) throws SQLException {
        return MariaDbTestSource.connect(
                server.port(), database, server.user(), server.password().reveal());
    }

    @Override
    protected void createReader(Endpoint admin, String password) throws SQLException {
        try (Connection shop = connect(admin, "shop");
                Statement statement = shop.createStatement()) {
            statement.execute("create role readers");
            statement.execute("grant select on shop.items to readers");
            statement.execute("create user 'reader'@'%' identified by '" + password + "'");
            statement.execute("grant readers to 'reader'@'%'");
            statement.execute("set default role readers for 'reader'@'%'");
        }
    }

    @Override
    protected Map.Entry<String, String> nonDefaultSetting() {
        return Map.entry("max_connections", "77");
    }

    @Override
    protected void setSetting(Endpoint admin, String name, String value) throws SQLException {
        try (Connection mysql = connect(admin, "mysql");
                Statement statement = mysql.createStatement()) {
            statement.execute("set global " + name + " = " + value);
        }
    }

    @Override
    protected String readSetting(Endpoint admin, String name) throws SQLException {
        try (Connection mysql = connect(admin, "mysql");
                Statement statement = mysql.createStatement();
                ResultSet row = statement.executeQuery("select @@global." + name)) {
            row.next();
            return row.getString(1);
        }
    }

    @Override
    protected SortedSet<String> users(Endpoint admin) throws SQLException {
        SortedSet<String> users = new TreeSet<>();
        try (Connection mysql = connect(admin, "mysql");
                Statement statement = mysql.createStatement();
                ResultSet rows = statement.executeQuery("select u.User, u.Host, u.is_role, u.authentication_string,"
                        + " coalesce(group_concat(m.Role order by m.Role), '') from mysql.user u"
                        + " left join mysql.roles_mapping m on m.User = u.User and m.Host = u.Host"
                        + " group by 1, 2, 3, 4")) {
            while (rows.next()) {
                users.add(rows.getString(1) + "@" + rows.getString(2) + " role=" + rows.getString(3) + " hash="
                        + rows.getString(4) + " roles=" + rows.getString(5));
            }
        }
        return users;
    }
}
