package io.forkrunner.demo;

import io.forkrunner.engine.postgresql.PostgresBinaries;
import io.forkrunner.engine.postgresql.PostgresServer;
import io.forkrunner.fork.ForkRecord;
import io.forkrunner.system.ProcessRunner;
import io.forkrunner.system.Secret;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Properties;

/** The demo's PostgreSQL source: the shop owned by the role {@code app}, reached on the fork through its pool. */
final class PostgresDemoSource extends DemoSource {

    static final int FIRST_PORT = 16480;

    private PostgresDemoSource(Path secrets, int port) {
        super(secrets, port);
    }

    /** The demo source in {@code home}, made when missing and started when stopped. */
    static PostgresDemoSource prepare(Path home, ProcessRunner runner) {
        Path directory = home.resolve("var/source");
        Path secrets = home.resolve("var/secrets");
        PostgresServer server = new PostgresServer(runner, PostgresBinaries.newest(), directory);
        try {
            Path portFile = directory.resolve("port");
            if (!Files.exists(server.dataDirectory().resolve("PG_VERSION")) || !Files.exists(portFile)) {
                int port = freePort(FIRST_PORT);
                writePasswords(secrets);
                server.initialize(
                        port,
                        new Secret(read(secrets.resolve("source"))),
                        Map.of("wal_level", "replica", "max_wal_senders", "10", "max_replication_slots", "10"));
                Files.writeString(portFile, port + "\n");
            }
            int port = Integer.parseInt(Files.readString(portFile).strip());
            if (!server.isRunning()) {
                server.start();
            }
            return new PostgresDemoSource(secrets, port);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the demo source in " + directory, e);
        }
    }

    @Override
    String engine() {
        return "postgresql";
    }

    @Override
    String title() {
        return "PostgreSQL";
    }

    @Override
    String serviceExtras() {
        return "    pools:\n      - { name: app, database: shop, user: app, mode: transaction, size: 5 }\n";
    }

    @Override
    String regionPorts() {
        return "16400-16479";
    }

    @Override
    String backupCheck() {
        return "pg_verifybackup";
    }

    @Override
    String changeArchive(String service) {
        return "pg_receivewal streams the source's WAL on slot forkrunner_" + service.replace('-', '_');
    }

    @Override
    void createShop() throws SQLException {
        try (Connection postgres = connect(port(), "postgres", "postgres", password("source"));
                Statement statement = postgres.createStatement();
                ResultSet exists = statement.executeQuery("select 1 from pg_database where datname = 'shop'")) {
            if (!exists.next()) {
                statement.execute(
                        "create role app login password '" + appPassword().replace("'", "''") + "'");
                statement.execute("create database shop owner app");
            }
        }
    }

    @Override
    Connection connectAsApp() throws SQLException {
        return connect(port(), "shop", "app", appPassword());
    }

    /** Through the fork's pool {@code app}, in transaction mode: no prepared statements. */
    @Override
    Connection connectToFork(ForkRecord fork) throws SQLException {
        return connect(fork.poolPort(), "app", "app", appPassword());
    }

    private static Connection connect(int port, String database, String user, String password) throws SQLException {
        Properties login = new Properties();
        login.setProperty("user", user);
        login.setProperty("password", password);
        login.setProperty("preferQueryMode", "simple");
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/" + database, login);
    }

    @Override
    String howToConnect(ForkRecord fork) {
        return "   fork %s listens on 127.0.0.1:%d; its pool app on 127.0.0.1:%d%n"
                        .formatted(fork.name(), fork.port(), fork.poolPort())
                + "   connect: PGPASSWORD=$(cat %s) psql \"host=127.0.0.1 port=%d dbname=app user=app\"%n"
                        .formatted(passwordFile("app"), fork.poolPort());
    }
}
