package io.forkrunner.engine.postgresql;

import io.forkrunner.definition.ServiceDefinition;
import io.forkrunner.engine.Archive;
import io.forkrunner.engine.ArchiveStream;
import io.forkrunner.engine.BaseBackup;
import io.forkrunner.engine.Checkpoints;
import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.Engine;
import io.forkrunner.engine.GeneratedLogin;
import io.forkrunner.engine.NewDatabase;
import io.forkrunner.engine.Place;
import io.forkrunner.engine.Pools;
import io.forkrunner.engine.Progress;
import io.forkrunner.engine.ReplicationSlot;
import io.forkrunner.engine.Restored;
import io.forkrunner.engine.Role;
import io.forkrunner.engine.TableCount;
import io.forkrunner.system.Command;
import io.forkrunner.system.DirectoryTree;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.Home;
import io.forkrunner.system.Passfile;
import io.forkrunner.system.ProcessFailedException;
import io.forkrunner.system.ProcessRunner;
import io.forkrunner.system.Secret;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.springframework.stereotype.Component;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** PostgreSQL: base backups with pg_basebackup and pg_verifybackup, a WAL archive with pg_receivewal. */
@Component
public class PostgresEngine implements Engine {

    private static final Pattern LABEL_START = Pattern.compile("START WAL LOCATION: ([0-9A-F]+/[0-9A-F]+)");
    private static final Pattern LABEL_TIMELINE = Pattern.compile("START TIMELINE: (\\d+)");

    private final ProcessRunner runner;
    private final Home home;
    private final Clock clock;

    PostgresEngine(ProcessRunner runner, Home home, Clock clock) {
        this.runner = runner;
        this.home = home;
        this.clock = clock;
    }

    @Override
    public String name() {
        return "postgresql";
    }

    @Override
    public Set<Capability> capabilities() {
        return Set.of(Capability.POINT_IN_TIME, Capability.POOLS, Capability.CROSS_VERSION);
    }

    /** The client tools: the newest installed, which read every older server. */
    PostgresBinaries tools() {
        return PostgresBinaries.newest();
    }

    @Override
    public BaseBackup backup(ServiceDefinition service, Endpoint source, Path directory, Path log) {
        if (Files.exists(directory)) {
            throw new ForkrunnerException("backup directory " + directory + " exists already");
        }
        runner.serviceUser().privateDirectory(directory.getParent());
        Instant startedAt = clock.instant();
        try (Passfile passfile = passfile(source)) {
            runner.run(clientCommand(
                            source,
                            passfile,
                            "pg_basebackup",
                            "-D",
                            directory.toString(),
                            "--format=plain",
                            "--wal-method=stream",
                            "--checkpoint=fast",
                            "--label=forkrunner " + directory.getFileName(),
                            "--progress",
                            "--verbose")
                    .loggingTo(log));
        }
        Instant endedAt = clock.instant();
        verifyBackup(directory).ifPresent(problem -> {
            throw new ForkrunnerException("backup " + directory.getFileName() + " failed verification: " + problem);
        });
        return describe(directory, startedAt, endedAt);
    }

    /**
     * Checks every file of the backup against its {@code backup_manifest} (sizes and checksums) and parses the WAL the
     * backup holds, with pg_verifybackup. The problems it names, or empty when the backup is whole.
     */
    @Override
    public Optional<String> verifyBackup(Path directory) {
        try {
            runner.run(Command.of(tools().path("pg_verifybackup"), "--quiet", directory.toString())
                    .asServiceUser()
                    .withTimeout(Duration.ofHours(6)));
            return Optional.empty();
        } catch (ProcessFailedException e) {
            List<String> errors = e.getMessage()
                    .lines()
                    .map(String::strip)
                    .filter(line -> line.startsWith("pg_verifybackup: error: "))
                    .map(line -> line.substring("pg_verifybackup: error: ".length()))
                    .toList();
            return Optional.of(errors.isEmpty() ? e.getMessage() : String.join("; ", errors));
        }
    }

    private BaseBackup describe(Path directory, Instant startedAt, Instant endedAt) {
        try {
            String label = Files.readString(directory.resolve("backup_label"));
            JsonNode manifest = JsonMapper.builder()
                    .build()
                    .readTree(directory.resolve("backup_manifest").toFile());
            JsonNode range = manifest.path("WAL-Ranges").path(0);
            return new BaseBackup(
                    startedAt,
                    endedAt,
                    Integer.parseInt(find(LABEL_TIMELINE, label, 1)),
                    find(LABEL_START, label, 1),
                    range.path("End-LSN").asText(),
                    DirectoryTree.size(directory));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the backup label or manifest in " + directory, e);
        }
    }

    private static String find(Pattern pattern, String text, int group) {
        Matcher matcher = pattern.matcher(text);
        if (!matcher.find()) {
            throw new ForkrunnerException("backup_label lacks " + pattern.pattern());
        }
        return matcher.group(group);
    }

    @Override
    public ArchiveStream archiveStream(ServiceDefinition service, Endpoint source, Path archive, Path log) {
        return new PostgresArchiveStream(this, service, source, archive, log);
    }

    @Override
    public String slotName(String service) {
        return PostgresArchiveStream.slotName(service);
    }

    @Override
    public Optional<ReplicationSlot> replicationSlot(Endpoint source, String slot) {
        return new PostgresSlots(this).find(source, slot);
    }

    @Override
    public void dropReplicationSlot(Endpoint source, String slot) {
        new PostgresSlots(this).drop(source, slot);
    }

    @Override
    public Archive archive(Path directory) {
        return new PostgresWalArchive(directory, runner, tools());
    }

    @Override
    public String layDown(Path backup, Place place, long bytesPerSecond, Progress progress) {
        BackupLayDown.Way way =
                new PostgresRestore(this).layDown(backup, place, new CopyRate(bytesPerSecond), progress);
        return way == null ? null : way.description;
    }

    @Override
    public Restored recover(
            Place place, Path archive, String backupStart, Instant target, Endpoint admin, Progress progress) {
        return new PostgresRestore(this).recover(place, archive, backupStart, target, admin, progress);
    }

    @Override
    public Optional<String> cannotRun(int version) {
        return PostgresBinaries.available(version)
                ? Optional.empty()
                : Optional.of("PostgreSQL " + version + " is not installed here; installed: "
                        + PostgresBinaries.installed() + ", carried by forkrunner: " + PostgresBinaries.BUNDLED);
    }

    @Override
    public void dump(
            Endpoint source, Path directory, List<String> databases, Checkpoints checkpoints, Progress progress) {
        new PostgresLogicalRestore(this).dump(source, directory, databases, checkpoints, progress);
    }

    @Override
    public void initialize(Place place, Endpoint admin) {
        PostgresServer server = new PostgresServer(runner, PostgresBinaries.of(place.version()), place.directory());
        if (server.isRunning()) {
            server.stop(); // made by a restore that died before it was recorded: made again
        }
        runner.serviceUser().privateDirectory(place.directory());
        Secret password = admin.password() == null ? GeneratedLogin.password(place.directory()) : admin.password();
        server.initialize(admin.user(), place.port(), password, Map.of());
        server.start();
    }

    @Override
    public void load(Place place, Endpoint admin, Path dump, Checkpoints checkpoints, Progress progress) {
        new PostgresLogicalRestore(this).load(place, admin, dump, checkpoints, progress);
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
        return new PostgresLogicalRestore(this)
                .loadInto(server, source, database, withRoles, dump, checkpoints, progress);
    }

    @Override
    public void dropDatabase(Endpoint server, String database) {
        new PostgresCatalog(this).dropDatabase(server, database);
    }

    @Override
    public int majorVersion(Endpoint endpoint) {
        return new PostgresCatalog(this).majorVersion(endpoint);
    }

    @Override
    public Map<String, String> settings(Endpoint source) {

        return new PostgresSettings(this).read(source);
    }

    @Override
    public List<String> applySettings(Place place, Map<String, String> settings) {
        return new PostgresSettings(this).apply(place, settings);
    }

    @Override
    public List<Role> roles(Endpoint endpoint) {
        return new PostgresCatalog(this).roles(endpoint);
    }

    @Override
    public void removePasswords(Endpoint admin) {
        new PostgresCatalog(this).removePasswords(admin);
    }

    @Override
    public void startPools(Place place, Endpoint admin, Pools pools) {
        new PgBouncer(this).start(place, admin, pools);
    }

    @Override
    public void stopPools(Place place) {
        new PgBouncer(this).stop(place);
    }

    @Override
    public boolean poolsRunning(Place place) {
        return new PgBouncer(this).isRunning(place);
    }

    @Override
    public void runSql(Endpoint endpoint, String database, Path file, Path log) {
        try (Passfile passfile = passfile(endpoint)) {
            runner.run(clientCommand(
                            endpoint,
                            passfile,
                            "psql",
                            dbname(database),
                            "--no-psqlrc",
                            "--quiet",
                            "--set=ON_ERROR_STOP=1",
                            "--file=" + file)
                    .loggingTo(log)
                    .withTimeout(Duration.ofHours(6)));
        }
    }

    @Override
    public boolean check(Endpoint endpoint, String database, String sql) {
        return new PostgresCatalog(this).check(endpoint, database, sql);
    }

    @Override
    public List<TableCount> tableCounts(Endpoint endpoint) {
        PostgresCatalog catalog = new PostgresCatalog(this);
        return catalog.tableCounts(endpoint, catalog.databases(endpoint));
    }

    @Override
    public List<TableCount> tableCounts(Endpoint endpoint, String database) {
        return new PostgresCatalog(this).tableCounts(endpoint, List.of(database));
    }

    @Override
    public Map<String, String> extensions(Endpoint endpoint) {
        return new PostgresCatalog(this).extensions(endpoint);
    }

    @Override
    public Map<String, String> settingDefaults(Endpoint endpoint) {
        return new PostgresCatalog(this).settingDefaults(endpoint);
    }

    @Override
    public List<String> databases(Endpoint endpoint) {

        return new PostgresCatalog(this).databases(endpoint);
    }

    @Override
    public String refuseWrites(Endpoint endpoint, Duration wait, Progress progress) {
        return new PostgresWriteFence(this).refuse(endpoint, wait, progress);
    }

    @Override
    public void allowWrites(Endpoint endpoint) {
        new PostgresWriteFence(this).allow(endpoint);
    }

    @Override
    public List<String> repointPools(Path poolerConfig, Endpoint from, Endpoint to) {
        return new PgBouncer(this).repoint(poolerConfig, from.host(), from.port(), to.host(), to.port());
    }

    @Override
    public List<String> poolsLeadingTo(Path poolerConfig, Endpoint endpoint) {
        return new PgBouncer(this).poolsLeadingTo(poolerConfig, endpoint.host(), endpoint.port());
    }

    /** A JDBC connection to a database of {@code endpoint}; its password goes in the connection's properties only. */
    Connection connect(Endpoint endpoint, String database) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", endpoint.user());
        if (endpoint.password() != null) {
            properties.setProperty("password", endpoint.password().reveal());
        }
        properties.setProperty("connectTimeout", "30");
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
        return Command.of(argv).asServiceUser().withPassfile(passfile).withEnvironment("PGCONNECT_TIMEOUT", "30");
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
                        source.password());
    }

    ProcessRunner runner() {
        return runner;
    }
}
