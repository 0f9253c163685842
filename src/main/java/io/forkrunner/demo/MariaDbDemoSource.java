package io.forkrunner.demo;

import io.forkrunner.engine.mariadb.MariaDbBinaries;
import io.forkrunner.engine.mariadb.MariaDbServer;
import io.forkrunner.fork.ForkRecord;
import io.forkrunner.system.ProcessRunner;
import io.forkrunner.system.Secret;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Properties;

/**
 * The demo's MariaDB source, with its binary logs on: the shop, on which the user {@code app} has every privilege,
 * reached on the fork directly (MariaDB services have no pools). {@code app}'s client options are kept in a 0600 file,
 * {@code var/secrets/app.cnf}, for the {@code mariadb} client.
 */
final class MariaDbDemoSource extends DemoSource {

    static final int FIRST_PORT = 16580;

    private MariaDbDemoSource(Path secrets, int port) {
        super(secrets, port);
    }

    /** The demo source in {@code home}, made when missing and started when stopped. */
    static MariaDbDemoSource prepare(Path home, ProcessRunner runner) {
        Path directory = home.resolve("var/source");
        Path secrets = home.resolve("var/secrets");
        MariaDbServer server = new MariaDbServer(runner, MariaDbBinaries.debian(), directory);
        Path portFile = home.resolve("var/source.port");
        try {
            if (!Files.isDirectory(server.dataDirectory().resolve("mysql")) || !Files.exists(portFile)) {
                int port = freePort(FIRST_PORT);
                writePasswords(secrets);
                writeSecret(
                        secrets.resolve("app.cnf"),
                        "[client]\nuser=app\npassword=" + read(secrets.resolve("app")) + "\n");
                server.initialize(new Secret(read(secrets.resolve("source"))));
                Files.writeString(portFile, port + "\n");
            }
            int port = Integer.parseInt(Files.readString(portFile).strip());
            if (!server.isRunning()) {
                server.start(port, port, Map.of("innodb-buffer-pool-size", "64M"));
            }
            return new MariaDbDemoSource(secrets, port);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the demo source in " + directory, e);
        }
    }

    @Override
    String engine() {
        return "mariadb";
    }

    @Override
    String title() {
        return "MariaDB";
    }

    @Override
    String serviceExtras() {
        return "";
    }

    @Override
    String regionPorts() {
        return "16500-16579";
    }

    @Override
    String backupCheck() {
        return "mariadb-backup --prepare and innochecksum";
    }

    @Override
    String changeArchive(String service) {
        return "mariadb-binlog streams the source's binary logs";
    }

    @Override
    void createShop() throws SQLException {
        try (Connection root = connect(port(), "root", password("source"), null);
                Statement statement = root.createStatement()) {
            statement.execute("create database if not exists shop character set utf8mb4");
            statement.execute("create user if not exists 'app'@'%' identified by '" + appPassword() + "'");
            statement.execute("grant all on shop.* to 'app'@'%'");
        }
    }

    @Override
    Connection connectAsApp() throws SQLException {
        return connect(port(), "app", appPassword(), "shop");
    }

    @Override
    Connection connectToFork(ForkRecord fork) throws SQLException {
        return connect(fork.port(), "app", appPassword(), "shop");
    }

    @Override
    String howToConnect(ForkRecord fork) {
        return "   fork %s listens on 127.0.0.1:%d%n".formatted(fork.name(), fork.port())
                + "   connect: mariadb --defaults-extra-file=%s --host=127.0.0.1 --port=%d shop%n"
                        .formatted(passwordFile("app.cnf"), fork.port());
    }

    private static Connection connect(int port, String user, String password, String database) throws SQLException {
        Properties login = new Properties();
        login.setProperty("user", user);
        login.setProperty("password", password);
        return DriverManager.getConnection(
                "jdbc:mariadb://127.0.0.1:" + port + "/" + (database == null ? "" : database), login);
    }
}
