package io.forkrunner.engine.postgresql;

import io.forkrunner.engine.Backups;
import io.forkrunner.engine.ChangeArchive;
import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.Engine;
import io.forkrunner.engine.Inspection;
import io.forkrunner.engine.LogicalCopy;
import io.forkrunner.engine.PhysicalRestore;
import io.forkrunner.engine.Pooling;
import io.forkrunner.engine.ServerSettings;
import io.forkrunner.engine.Servers;
import io.forkrunner.engine.Users;
import io.forkrunner.engine.WriteFence;
import io.forkrunner.system.Command;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.Home;
import io.forkrunner.system.Passfile;
import io.forkrunner.system.ProcessRunner;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import org.postgresql.ssl.SingleCertValidatingFactory;
import org.springframework.stereotype.Component;

/** PostgreSQL: every facet, each in a class of its own; what they share (client tools, logins, passfiles) is here. */
@Component
public class PostgresEngine implements Engine {

    private final ProcessRunner runner;
    private final Home home;
    private final Clock clock;

    private final PostgresBackups backups;
    private final PostgresServers servers;
    private final PostgresCatalog catalog;
    private final PostgresChangeArchive changeArchive;
    private final PostgresRestore physicalRestore;
    private final PostgresLogicalRestore logicalCopy;
    private final PgBouncer pooling;
    private final PostgresSettings settings;
    private final PostgresWriteFence writeFence;

    PostgresEngine(ProcessRunner runner, Home home, Clock clock) {
        this.runner = runner;
        this.home = home;
        this.clock = clock;
        this.backups = new PostgresBackups(this);
        this.servers = new PostgresServers(this);
        this.catalog = new PostgresCatalog(this);
        this.changeArchive = new PostgresChangeArchive(this);
        this.physicalRestore = new PostgresRestore(this);
        this.logicalCopy = new PostgresLogicalRestore(this);
        this.pooling = new PgBouncer(this);
        this.settings = new PostgresSettings(this);
        this.writeFence = new PostgresWriteFence(this);
    }

    @Override
    public String name() {
        return "postgresql";
    }

    @Override
    public String title() {
        return "PostgreSQL";
    }

    /** The client tools: the newest installed, which read every older server. */
    PostgresBinaries tools() {
        return PostgresBinaries.newest();
    }

    @Override
    public Backups backups() {
        return backups;
    }

    @Override
    public Servers servers() {
        return servers;
    }

    @Override
    public Inspection inspection() {
        return catalog;
    }

    @Override
    public Optional<ChangeArchive> changeArchive() {
        return Optional.of(changeArchive);
    }

    @Override
    public Optional<PhysicalRestore> physicalRestore() {
        return Optional.of(physicalRestore);
    }

    @Override
    public Optional<LogicalCopy> logicalCopy() {
        return Optional.of(logicalCopy);
    }

    @Override
    public Optional<Users> users() {
        return Optional.of(catalog);
    }

    @Override
    public Optional<Pooling> pooling() {
        return Optional.of(pooling);
    }

    @Override
    public Optional<ServerSettings> settings() {
        return Optional.of(settings);
    }

    @Override
    public Optional<WriteFence> writeFence() {
        return Optional.of(writeFence);
    }

    /** A JDBC connection to a database of {@code endpoint}; its password goes in the connection's properties only. */
    Connection connect(Endpoint endpoint, String database) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", endpoint.user());
        if (endpoint.password() != null) {
            properties.setProperty("password", endpoint.password().reveal());
        }
        properties.setProperty("connectTimeout", "30");
        if (endpoint.certificateAuthority() != null) {
            properties.setProperty("sslmode", "verify-full");
            properties.setProperty("sslfactory", SingleCertValidatingFactory.class.getName());
            properties.setProperty("sslfactoryarg", endpoint.certificateAuthority());
        }
        properties.setProperty("ApplicationName", "forkrunner");
        properties.setProperty("PGDBNAME", database); // a property, never part of the URL: any name is only a name
        return DriverManager.getConnection(
                "jdbc:postgresql://" + endpoint.host() + ":" + endpoint.port() + "/", properties);
    }

    /**
     * A client tool's {@code --dbname} argument naming {@code database}: a conninfo whose only value is quoted, so that a
     * name holding {@code =}, quotes, spaces or a URI is never read as connection options.
     */
    static String dbname(String database) {
        return "--dbname=dbname='" + database.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    /** A client tool's command: connects to {@code source} with its password in a passfile. */
    Command clientCommand(Endpoint source, Passfile passfile, String program, String... arguments) {
        List<String> argv = new ArrayList<>(List.of(
                tools().path(program),
                "--host=" + source.host(),
                "--port=" + source.port(),
                "--username=" + source.user(),
                "--no-password"));
        argv.addAll(List.of(arguments));
        Command command =
                Command.of(argv).asServiceUser().withPassfile(passfile).withEnvironment("PGCONNECT_TIMEOUT", "30");
        if (passfile != null && passfile.certificateAuthority() != null) {
            return command.withEnvironment("PGSSLMODE", "verify-full")
                    .withEnvironment(
                            "PGSSLROOTCERT", passfile.certificateAuthority().toString());
        }
        if (source.certificateAuthority() != null) {
            throw new ForkrunnerException("verifying the certificate of " + source + " needs its passfile");
        }
        return command;
    }

    /** A passfile for the source's password, or null when it has none. */
    Passfile passfile(Endpoint source) {
        return source.password() == null
                ? null
                : Passfile.write(
                        home.run(),
                        runner.serviceUser(),
                        source.host(),
                        source.port(),
                        source.user(),
                        source.password(),
                        source.certificateAuthority());
    }

    ProcessRunner runner() {
        return runner;
    }

    Clock clock() {
        return clock;
    }
}
