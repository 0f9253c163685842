package io.forkrunner.engine.postgresql;

import io.forkrunner.engine.BackupLayDown;
import io.forkrunner.engine.CopyRate;
import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.GeneratedLogin;
import io.forkrunner.engine.PhysicalRestore;
import io.forkrunner.engine.Place;
import io.forkrunner.engine.Progress;
import io.forkrunner.engine.Restored;
import io.forkrunner.system.Command;
import io.forkrunner.system.DirectoryTree;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.ProcessRunner;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Restores a fork from a base backup and the WAL archive: lays the backup down, replays a private copy of the archive
 * (the newest partial segment offered under its full name) to the target, promotes to a timeline of the fork's own,
 * and disables the logical-replication subscriptions it carried before anyone else can connect.
 */
final class PostgresRestore implements PhysicalRestore {

    private static final Logger log = LoggerFactory.getLogger(PostgresRestore.class);
    private static final DateTimeFormatter TARGET =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS'+00'").withZone(ZoneOffset.UTC);
    private static final Duration RECOVERY_TIMEOUT = Duration.ofHours(24);

    private final PostgresEngine engine;
    private final ProcessRunner runner;

    PostgresRestore(PostgresEngine engine) {
        this.engine = engine;
        this.runner = engine.runner();
    }

    @Override
    public String layDown(Path backup, Place place, long bytesPerSecond, Progress progress) {
        BackupLayDown.Way way = layDown(backup, place, new CopyRate(bytesPerSecond), progress);
        return way == null ? null : way.description();
    }

    /**
     * Lays the backup down as the place's data directory (see {@link BackupLayDown}): cloned where the file systems
     * allow, else copied. Resumes: once recovery has started the data directory is no longer the backup's, and nothing
     * is laid down again: a file of the backup over it would break the fork. {@code rate} is charged only for the bytes
     * copied. Returns how it was laid down, or null when it already was.
     */
    BackupLayDown.Way layDown(Path backup, Place place, CopyRate rate, Progress progress) {
        if (Files.exists(recoveryStarted(place))) {
            log.info("{} is recovered from its backup already; not laying it down again", place.directory());
            return null;
        }
        PostgresServer server = server(place);
        runner.serviceUser().privateDirectory(place.directory());
        runner.serviceUser().privateDirectory(server.logDirectory());
        Path data = server.dataDirectory();
        BackupLayDown.Way way = new BackupLayDown(runner).layDown(backup, data, place.directory(), rate, progress);
        runner.serviceUser().privateDirectory(data);
        runner.serviceUser().own(data);
        return way;
    }

    /**
     * Replays the archive over the laid-down backup to {@code target}, promotes, and disables subscriptions. When
     * nothing in the archive was committed after the target, the whole archive is replayed: the result is the same and
     * recovery does not wait for a commit that never comes. Resumes: a server already promoted is not recovered again.
     */
    @Override
    public Restored recover(
            Place place, Path archive, String backupStart, Instant target, Endpoint login, Progress progress) {
        PostgresServer server = server(place);
        Endpoint admin = GeneratedLogin.of(login, login.host(), login.port(), place.directory());
        Path data = server.dataDirectory();
        Path started = recoveryStarted(place);
        boolean stoppedAtTarget;
        if (!Files.exists(started)) {
            writeConfiguration(server);
            Path staged = stageArchive(place, archive, backupStart);
            Optional<Instant> newestStaged = new PostgresWalArchive(staged, runner, engine.tools()).newestCommit();
            stoppedAtTarget = newestStaged.isPresent() && newestStaged.get().isAfter(target);
            Map<String, String> recovery = new LinkedHashMap<>(RECOVERY_SETTINGS);
            recovery.putAll(replaySettings(place.version()));
            recovery.put("restore_command", "'cp \"" + staged + "/%f\" \"%p\"'");
            if (stoppedAtTarget) {
                recovery.put("recovery_target_time", "'" + TARGET.format(target) + "'");
                recovery.put("recovery_target_action", "'promote'");
                recovery.put("recovery_target_inclusive", "on");
            }
            server.writeSettings(place.port(), recovery);
            touch(data.resolve("recovery.signal"));
            writeMarker(started, stoppedAtTarget);
        } else {
            stoppedAtTarget = readMarker(started);
        }
        if (Files.exists(data.resolve("recovery.signal"))) {
            // not promoted yet: a fresh recovery, or one left by a runner that died, which PostgreSQL resumes
            if (server.isRunning()) {
                server.stop();
            }
            Path staged = place.directory().resolve("restore-wal");
            long segments = countSegments(staged);
            log.info(
                    "recovering {} from {} WAL segments to {}",
                    place.directory().getFileName(),
                    segments,
                    stoppedAtTarget ? TARGET.format(target) : "the end of the archive");
            ReplayWatcher watcher =
                    new ReplayWatcher(server.logDirectory().resolve("postgresql.log"), segments, progress);
            watcher.start();
            try {
                server.start(RECOVERY_TIMEOUT);
                server.awaitReady(RECOVERY_TIMEOUT);
            } finally {
                watcher.stop();
            }
        } else if (!server.isRunning()) {
            server.start();
        }
        if (login.password() == null) {
            setGeneratedPassword(server, place, admin);
        }
        int timeline;
        int disabled;
        try (Connection connection = engine.connect(admin, "postgres")) {
            timeline = checkPromoted(connection);
            disabled = disableSubscriptions(admin, databases(connection));
        } catch (SQLException e) {
            throw new ForkrunnerException("the restored fork does not answer as " + admin + ": " + e.getMessage(), e);
        }
        // replay's settings give way to the fork's own at its next start (copying the configuration restarts it): no
        // restart, and no shutdown checkpoint, here
        server.writeSettings(place.port(), Map.of("archive_mode", "off"));
        DirectoryTree.delete(place.directory().resolve("restore-wal"));
        return new Restored(timeline, stoppedAtTarget, disabled);
    }

    /** While recovering: no archiving, no standby connections, no subscription workers, nothing from the source's host. */
    private static final Map<String, String> RECOVERY_SETTINGS =
            Map.of("archive_mode", "off", "hot_standby", "off", "max_logical_replication_workers", "0");

    /**
     * While replaying, and only then: one sync of the file system at start rather than one per file, WAL read ahead
     * with many reads at once, and room for the pages replay touches. The fork's own settings apply once it is promoted.
     */
    static Map<String, String> replaySettings(int version) {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("maintenance_io_concurrency", "64");
        settings.put("shared_buffers", "'512MB'");
        settings.put("wal_buffers", "'64MB'");
        if (version >= 14) {
            settings.put("recovery_init_sync_method", "'syncfs'");
        }
        if (version >= 15) {
            settings.put("recovery_prefetch", "'try'");
        }
        return settings;
    }

    /**
     * Gives the fork's login, which has no password on the source, its generated one, before it can log in over TCP:
     * restarts the fork listening only on a socket in a new directory only the service user may enter, where the
     * service user logs in as that login (peer), sets the password with statement logging off, then restarts it on TCP
     * with passwords only. Once done, a marker says so: a resumed recovery does not do it again.
     */
    private void setGeneratedPassword(PostgresServer server, Place place, Endpoint admin) {
        Path done = place.directory().resolve("login-password-set");
        if (Files.exists(done)) {
            return;
        }
        Path socket;
        Path sql = place.directory().resolve("login-password.sql");
        try {
            socket = Files.createTempDirectory(
                    "forkrunner-login-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a socket directory for " + place.directory(), e);
        }
        try {
            runner.serviceUser().own(socket);
            Map<String, String> socketOnly = new LinkedHashMap<>(RECOVERY_SETTINGS);
            socketOnly.put("listen_addresses", "''");
            socketOnly.put("unix_socket_directories", "'" + socket + "'");
            socketOnly.put("log_statement", "'none'"); // the statement holds the password
            socketOnly.put("log_min_error_statement", "'panic'");
            socketOnly.put("log_min_duration_statement", "-1");
            socketOnly.put("password_encryption", "'scram-sha-256'");
            server.writeSettings(place.port(), socketOnly);
            writeAccess(server, admin.user());
            if (server.isRunning()) {
                server.stop();
            }
            server.start();
            runner.serviceUser()
                    .write(
                            sql,
                            "alter role " + PostgresCatalog.quote(admin.user()) + " password '"
                                    + admin.password().reveal() + "';\n");
            runner.run(Command.of(
                            engine.tools().path("psql"),
                            "--host=" + socket,
                            "--port=" + place.port(),
                            "--username=" + admin.user(),
                            "--no-password",
                            "--no-psqlrc",
                            "--quiet",
                            "--set=ON_ERROR_STOP=1",
                            PostgresEngine.dbname("postgres"),
                            "--file=" + sql)
                    .asServiceUser()
                    .loggingTo(server.logDirectory().resolve("login-password.log"))
                    .withTimeout(Duration.ofMinutes(5)));
        } finally {
            try {
                Files.deleteIfExists(sql);
            } catch (IOException e) {
                log.warn("cannot delete {}: {}", sql, e.getMessage());
            }
        }
        server.writeSettings(place.port(), RECOVERY_SETTINGS);
        writeAccess(server, null);
        server.restart();
        DirectoryTree.delete(socket);
        writeMarker(done, false);
        log.info("the fork's login {} has the password generated for it", admin.user());
    }

    /** Our own postgresql.conf and pg_hba.conf; the source's files are kept aside as {@code *.source}. */
    private void writeConfiguration(PostgresServer server) {
        Path data = server.dataDirectory();
        try {
            for (String name : List.of("postgresql.conf", "postgresql.auto.conf", "pg_hba.conf", "pg_ident.conf")) {
                Path file = data.resolve(name);
                Path kept = data.resolve(name + ".source");
                if (Files.exists(file) && !Files.exists(kept)) {
                    Files.move(file, kept);
                }
            }
            write(
                    server,
                    "postgresql.conf",
                    "# written by forkrunner: the source's settings, then this fork's own\n"
                            + "include_if_exists = '" + PostgresServer.SOURCE_SETTINGS_FILE + "'\n"
                            + "include_if_exists = '" + PostgresServer.SETTINGS_FILE + "'\n");
            write(server, "postgresql.auto.conf", "# settings changed by ALTER SYSTEM on the fork\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the configuration of " + data, e);
        }
        writeAccess(server, null);
    }

    /**
     * The fork's pg_hba.conf: every login over TCP with its password, none without (no trust). With {@code socketLogin}
     * also the service user as that login on the unix socket (peer), while its generated password is set.
     */
    private void writeAccess(PostgresServer server, String socketLogin) {
        String socket = socketLogin == null ? "" : "local all all peer map=forkrunner\n";
        runner.serviceUser()
                .write(
                        server.dataDirectory().resolve("pg_hba.conf"),
                        "# written by forkrunner: TCP on 127.0.0.1 with passwords. md5 asks for SCRAM where a role\n"
                                + "# has a SCRAM verifier, and lets roles carried with MD5 passwords log in as on the"
                                + " source\n"
                                + socket
                                + "host all all 127.0.0.1/32 md5\n"
                                + "host replication all 127.0.0.1/32 md5\n");
        runner.serviceUser()
                .write(
                        server.dataDirectory().resolve("pg_ident.conf"),
                        socketLogin == null
                                ? ""
                                : "forkrunner \"" + runner.serviceUser().name() + "\" \"" + socketLogin + "\"\n");
    }

    private void write(PostgresServer server, String name, String text) throws IOException {
        runner.serviceUser().write(server.dataDirectory().resolve(name), text);
    }

    private void writeMarker(Path marker, boolean stoppedAtTarget) {
        runner.serviceUser().write(marker, stoppedAtTarget ? "target\n" : "end\n");
    }

    private static boolean readMarker(Path marker) {
        try {
            return Files.readString(marker).strip().equals("target");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + marker, e);
        }
    }

    private void touch(Path file) {
        try {
            if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
                Files.createFile(file);
            }
            runner.serviceUser().own(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + file, e);
        }
    }

    /**
     * A private copy of the archive from the backup's start: recovery reads only this copy, so the fork never touches
     * the source's archive. The partial segment is copied under its full name, as recovery asks for it.
     */
    private Path stageArchive(Place place, Path archive, String backupStart) {
        Path staged = place.directory().resolve("restore-wal");
        DirectoryTree.delete(staged);
        runner.serviceUser().privateDirectory(staged);
        if (archive == null || !Files.isDirectory(archive)) {
            return staged; // nothing to replay but the backup's own WAL
        }
        long first = Lsn.parse(backupStart).segment(PostgresWalArchive.DEFAULT_SEGMENT_SIZE);
        try (Stream<Path> files = Files.list(archive)) {

            for (Path file : files.sorted().toList()) {
                String name = file.getFileName().toString();
                Optional<WalSegment> segment = WalSegment.of(file, PostgresWalArchive.DEFAULT_SEGMENT_SIZE);
                if (segment.isPresent() && segment.get().number() >= first) {
                    Path target = staged.resolve(segment.get().name(PostgresWalArchive.DEFAULT_SEGMENT_SIZE));
                    if (!segment.get().partial() || !Files.exists(target)) {
                        copySegment(file, archive.resolve(target.getFileName()), target);
                    }
                    if (segment.get().partial()) {
                        padPartial(target, PostgresWalArchive.DEFAULT_SEGMENT_SIZE);
                    }
                } else if (name.endsWith(".history")) {
                    Files.copy(file, staged.resolve(name), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy the WAL archive " + archive + " for recovery", e);
        }
        runner.serviceUser().own(staged);
        return staged;
    }

    /** Copies a segment; a partial one that pg_receivewal completed meanwhile is copied under its full name. */
    private static void copySegment(Path file, Path completed, Path target) throws IOException {
        try {
            Files.copy(file, target, StandardCopyOption.REPLACE_EXISTING);
        } catch (java.nio.file.NoSuchFileException renamed) {
            Files.copy(completed, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /**
     * Pads the copy of a partial segment to a whole one with zeros, as pg_receivewal pads the segment it starts: a
     * copy taken while it was still padding a new segment is short, and recovery refuses a short segment ("has wrong
     * size"). The WAL in it is all there; past its end, zeros end recovery as they do in the archive.
     */
    static void padPartial(Path copy, long segmentSize) throws IOException {
        try (RandomAccessFile file = new RandomAccessFile(copy.toFile(), "rw")) {
            if (file.length() < segmentSize) {
                file.setLength(segmentSize);
            }
        }
    }

    private static long countSegments(Path staged) {
        try (Stream<Path> files = Files.list(staged)) {
            return files.filter(path -> path.getFileName().toString().matches("[0-9A-F]{24}"))
                    .count();
        } catch (IOException e) {
            return 0;
        }
    }

    private static int checkPromoted(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
                ResultSet row = statement.executeQuery(
                        "select pg_is_in_recovery(), ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int")) {
            row.next();
            if (row.getBoolean(1)) {
                throw new ForkrunnerException("the fork is still in recovery after it started");
            }
            return row.getInt(2);
        } catch (SQLException e) {
            if (e.getMessage().contains("recovery is in progress")) {
                throw new ForkrunnerException("the fork is still in recovery after it started", e);
            }
            throw e;
        }
    }

    private static List<String> databases(Connection connection) throws SQLException {
        List<String> names = new ArrayList<>();
        try (Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery(
                        "select datname from pg_database where datallowconn and not datistemplate order by datname")) {
            while (rows.next()) {
                names.add(rows.getString(1));
            }
        }
        return names;
    }

    /** Disables each subscription and detaches it from its slot, so that dropping it can never drop the source's. */
    private int disableSubscriptions(Endpoint admin, List<String> databases) throws SQLException {
        int disabled = 0;
        for (String database : databases) {
            try (Connection connection = engine.connect(admin, database);
                    Statement statement = connection.createStatement()) {
                List<String> subscriptions = new ArrayList<>();
                try (ResultSet rows = statement.executeQuery("select quote_ident(subname) from pg_subscription"
                        + " where subdbid = (select oid from pg_database where datname = current_database())")) {
                    while (rows.next()) {
                        subscriptions.add(rows.getString(1));
                    }
                }
                for (String subscription : subscriptions) {
                    statement.execute("alter subscription " + subscription + " disable");
                    statement.execute("alter subscription " + subscription + " set (slot_name = none)");
                    log.info("disabled subscription {} in database {} of the fork", subscription, database);
                    disabled++;
                }
            }
        }
        return disabled;
    }

    /** Marks a data directory that recovery has changed; it says whether recovery stops at the target. */
    private static Path recoveryStarted(Place place) {
        return place.directory().resolve("recovery-started");
    }

    private PostgresServer server(Place place) {
        return new PostgresServer(runner, PostgresBinaries.of(place.version()), place.directory());
    }
}
