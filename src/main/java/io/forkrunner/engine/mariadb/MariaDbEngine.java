package io.forkrunner.engine.mariadb;

import io.forkrunner.engine.Backups;
import io.forkrunner.engine.ChangeArchive;
import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.Engine;
import io.forkrunner.engine.Inspection;
import io.forkrunner.engine.LogicalCopy;
import io.forkrunner.engine.PhysicalRestore;
import io.forkrunner.engine.Place;
import io.forkrunner.engine.ServerSettings;
import io.forkrunner.engine.Users;
import io.forkrunner.engine.WriteFence;
import io.forkrunner.system.Home;
import io.forkrunner.system.ProcessRunner;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Clock;
import java.util.Optional;
import java.util.Properties;
import org.springframework.stereotype.Component;

/**
 * MariaDB (the MySQL family here): physical backups with mariadb-backup, point in time by replaying archived binary
 * logs, servers run as the {@code mysql} OS user. Its version is written as one number, major times 100 plus minor
 * ({@code 1011} for 10.11), so that versions compare as numbers. No connection pools: Aiven has none for MySQL.
 */
@Component
public class MariaDbEngine implements Engine {

    private final ProcessRunner runner;
    private final Home home;
    private final Clock clock;
    private volatile MariaDbBinaries binaries;

    private final MariaDbServers servers;
    private final MariaDbBackups backups;
    private final MariaDbInspection inspection;
    private final MariaDbSettings settings;
    private final MariaDbRestore restore;
    private final MariaDbWriteFence writeFence;
    private final MariaDbLogicalCopy logicalCopy;

    MariaDbEngine(Home home, Clock clock) {
        this.runner = new ProcessRunner(MariaDbServer.serviceUser());
        this.home = home;
        this.clock = clock;
        this.servers = new MariaDbServers(this);
        this.backups = new MariaDbBackups(this);
        this.inspection = new MariaDbInspection(this);
        this.settings = new MariaDbSettings(this);
        this.restore = new MariaDbRestore(this);
        this.writeFence = new MariaDbWriteFence(this);
        this.logicalCopy = new MariaDbLogicalCopy(this);
    }

    @Override
    public String name() {
        return "mariadb";
    }

    @Override
    public String title() {
        return "MariaDB";
    }

    @Override
    public Backups backups() {
        return backups;
    }

    @Override
    public MariaDbServers servers() {
        return servers;
    }

    @Override
    public Inspection inspection() {
        return inspection;
    }

    @Override
    public Optional<ChangeArchive> changeArchive() {
        return Optional.of(new MariaDbChangeArchive(runner, binaries()));
    }

    @Override
    public Optional<PhysicalRestore> physicalRestore() {
        return Optional.of(restore);
    }

    @Override
    public Optional<LogicalCopy> logicalCopy() {
        return Optional.of(logicalCopy);
    }

    @Override
    public Optional<Users> users() {
        return Optional.of(inspection);
    }

    @Override
    public Optional<ServerSettings> settings() {
        return Optional.of(settings);
    }

    @Override
    public Optional<WriteFence> writeFence() {
        return Optional.of(writeFence);
    }

    ProcessRunner runner() {
        return runner;
    }

    Clock clock() {
        return clock;
    }

    /** The installed MariaDB programs, found at first use: a host without MariaDB still runs forkrunner. */
    MariaDbBinaries binaries() {
        MariaDbBinaries found = binaries;
        if (found == null) {
            found = MariaDbBinaries.debian();
            binaries = found;
        }
        return found;
    }

    MariaDbServer server(Place place) {
        return new MariaDbServer(runner, binaries(), place.directory());
    }

    /**
     * A login of the mariadb tools for {@code endpoint}: over TCP, its password in their option file only; over TLS, the
     * server verified, when the endpoint has a certificate authority (the mariadb client's {@code --ssl} alone does not
     * even require TLS).
     */
    static MariaDbLogin login(Endpoint endpoint) {
        MariaDbLogin login = MariaDbLogin.tcp(endpoint.host(), endpoint.port(), endpoint.user(), endpoint.password());
        return endpoint.certificateAuthority() == null ? login : login.verifiedBy(endpoint.certificateAuthority());
    }

    /** Where the option files of forkrunner's own clients lie while they run: the service user's, under var/run. */
    Path clientDirectory() {
        return home.run().resolve("mariadb");
    }

    /** A 0600 option file with the login for {@code endpoint}, for a client's {@code --defaults-file}; close it after. */
    OptionFile optionFile(Endpoint endpoint) {
        return OptionFile.client(clientDirectory(), runner.serviceUser(), login(endpoint));
    }

    /** A JDBC connection to {@code endpoint}, in {@code database} (null for none): the name never enters the URL. */
    Connection connect(Endpoint endpoint, String database) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", endpoint.user());
        if (endpoint.password() != null) {
            properties.setProperty("password", endpoint.password().reveal());
        }
        properties.setProperty("connectTimeout", "30000");
        properties.setProperty("permitMysqlScheme", "false");
        if (endpoint.certificateAuthority() != null) {
            properties.setProperty("sslMode", "verify-full");
            properties.setProperty("serverSslCert", endpoint.certificateAuthority());
        }
        Connection connection = DriverManager.getConnection(
                "jdbc:mariadb://" + endpoint.host() + ":" + endpoint.port() + "/", properties);
        if (database != null) {
            connection.setCatalog(database);
        }
        return connection;
    }

    /** A name in backquotes, as MariaDB quotes identifiers. */
    static String quote(String identifier) {
        return "`" + identifier.replace("`", "``") + "`";
    }

    /** A string literal (backslash escapes on, the default SQL mode). */
    static String literal(String text) {
        return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }
}
