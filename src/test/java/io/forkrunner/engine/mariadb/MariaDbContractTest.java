package io.forkrunner.engine.mariadb;

import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.EngineContractTest;
import io.forkrunner.system.Secret;
import io.forkrunner.testing.TestHome;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;

/** MariaDB keeps the engine contract. */
class MariaDbContractTest extends EngineContractTest {

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
    protected String adminDatabase() {
        return "mysql";
    }

    @Override
    protected List<String> createReader(String password) {
        return List.of(
                "create role readers",
                "grant select on shop.items to readers",
                "create user 'reader'@'%' identified by '" + password + "'",
                "grant readers to 'reader'@'%'",
                "set default role readers for 'reader'@'%'");
    }

    @Override
    protected Map.Entry<String, String> nonDefaultSetting() {
        return Map.entry("max_connections", "77");
    }

    @Override
    protected List<String> setSetting(String name, String value) {
        return List.of("set global " + name + " = " + value);
    }

    @Override
    protected String readSetting(Connection admin, String name) throws SQLException {
        try (Statement statement = admin.createStatement();
                ResultSet row = statement.executeQuery("select @@global." + name)) {
            row.next();
            return row.getString(1);
        }
    }

    @Override
    protected SortedSet<String> users(Connection admin) throws SQLException {
        SortedSet<String> users = new TreeSet<>();
        try (Statement statement = admin.createStatement();
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
