package io.forkrunner.engine.mariadb;

import io.forkrunner.engine.BackupLayDown;
import io.forkrunner.engine.CopyRate;
import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.PhysicalRestore;
import io.forkrunner.engine.Place;
import io.forkrunner.engine.Progress;
import io.forkrunner.engine.Restored;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.ServiceUser;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A fork's data from a prepared backup: its files laid down (cloned where the file systems allow, else copied,
 * resumably), the server started with replication and the event scheduler off, then the archived binary logs replayed
 * from the backup's position up to the target time, one file after another. Each replayed file is recorded: a restart
 * goes on with the next, and the file it was in when it stopped is replayed from the fork's own GTID position, so no
 * transaction is applied twice. Any replica configuration the fork carried is removed before the fork is handed over.
 */
final class MariaDbRestore implements PhysicalRestore {

    private static final Logger log = LoggerFactory.getLogger(MariaDbRestore.class);
    /** Made when recovery begins: from then on the data directory is the fork's, and nothing is laid down again. */
    private static final String RECOVERY_STARTED = "recovery-started";
    /** The archived binlog files replayed whole onto the fork, one name a line. */
    private static final String REPLAYED = "binlogs-replayed";

    private final MariaDbEngine engine;

    MariaDbRestore(MariaDbEngine engine) {
        this.engine = engine;
    }

    @Override
    public String layDown(Path backup, Place place, long bytesPerSecond, Progress progress) {
        if (Files.exists(place.directory().resolve(RECOVERY_STARTED), LinkOption.NOFOLLOW_LINKS)) {
            log.info("{} is recovered from its backup already; not laying it down again", place.directory());
            return null;
        }
        ServiceUser user = engine.runner().serviceUser();
        MariaDbServer server = engine.server(place);
        user.privateDirectory(place.directory());
        Path data = server.dataDirectory();
        BackupLayDown.Way way = new BackupLayDown(engine.runner())
                .layDown(backup, data, place.directory(), new CopyRate(bytesPerSecond), progress);
        user.privateDirectory(data);
        user.own(data);
        return way.description();
    }

    @Override
    public Restored recover(
            Place place, Path archive, String backupStart, Instant target, Endpoint admin, Progress progress) {
        MariaDbServer server = engine.server(place);
        ServiceUser user = engine.runner().serviceUser();
        Path started = place.directory().resolve(RECOVERY_STARTED);
        if (!Files.exists(started, LinkOption.NOFOLLOW_LINKS)) {
            user.write(started, "recovery began " + engine.clock().instant() + "\n");
        }
        if (!server.isRunning()) {
            server.start(place.port(), place.port(), ((MariaDbServers) engine.servers()).settings(place));
        }
        Endpoint fork = new Endpoint("127.0.0.1", place.port(), admin.user(), admin.password());
        boolean stoppedAtTarget = false;
        if (archive != null) {
            stoppedAtTarget = replay(place, server, fork, archive, target, progress);
        }
        resetReplication(fork);
        return new Restored(1, stoppedAtTarget, 0);
    }

    /**
     * Replays the archive from the backup's position onto the running fork, file by file; to {@code target} when the
     * archive holds a commit after it, else to its end. Returns whether it stopped at the target.
     */
    private boolean replay(
            Place place, MariaDbServer server, Endpoint fork, Path archive, Instant target, Progress progress) {
        BinlogPosition backup = MariaDbBackup.position(server.dataDirectory());
        MariaDbBinlogArchive archived = new MariaDbBinlogArchive(archive, engine.runner(), engine.binaries());
        List<Path> files = backup.from(archived.paths());
        Optional<Instant> newest = archived.newestCommit();
        boolean stoppedAtTarget = newest.isPresent() && newest.get().isAfter(target);
        Path record = place.directory().resolve(REPLAYED);
        Set<String> replayed =
                new HashSet<>(ServiceUser.readIfExists(record).lines().toList());
        BinlogReplay replay = new BinlogReplay(engine.runner(), engine.binaries());
        log.info(
                "replaying {} binlog files onto {} from {} to {}",
                files.size(),
                place.directory().getFileName(),
                backup,
                stoppedAtTarget ? target : "their end");
        for (int i = 0; i < files.size(); i++) {
            Path file = files.get(i);
            String name = file.getFileName().toString();
            if (replayed.contains(name)) {
                continue;
            }
            String gtid = gtidPosition(fork);
            String start = !gtid.isEmpty()
                    ? gtid
                    : !backup.gtid().isEmpty()
                            ? backup.gtid()
                            : name.equals(backup.file()) ? String.valueOf(backup.position()) : "4";
            replay.replay(
                    new BinlogReplay.Range(List.of(file), start, stoppedAtTarget ? target : null),
                    MariaDbEngine.login(fork),
                    engine.clientDirectory(),
                    server.logDirectory().resolve("replay.log"));
            replayed.add(name);
            user().write(record, String.join("\n", replayedInOrder(files, replayed)) + "\n");
            progress.report("binlog files replayed", i + 1, files.size());
        }
        return stoppedAtTarget;
    }

    private ServiceUser user() {
        return engine.runner().serviceUser();
    }

    private static List<String> replayedInOrder(List<Path> files, Set<String> replayed) {
        List<String> names = new ArrayList<>();
        for (Path file : files) {
            if (replayed.contains(file.getFileName().toString())) {
                names.add(file.getFileName().toString());
            }
        }
        return names;
    }

    /** The fork's own GTID position: the last transaction replayed onto it, per domain; empty before the first. */
    private String gtidPosition(Endpoint fork) {
        try (Connection connection = engine.connect(fork, null);
                Statement statement = connection.createStatement();
                ResultSet row = statement.executeQuery("select @@global.gtid_binlog_pos")) {
            row.next();
            return row.getString(1) == null ? "" : row.getString(1);
        } catch (SQLException e) {
            throw new ForkrunnerException(
                    "cannot read the GTID position of the fork " + fork + ": " + e.getMessage(), e);
        }
    }

    /** Stops and forgets every replica connection the fork carried from its source: a fork never replicates. */
    private void resetReplication(Endpoint fork) {
        try (Connection connection = engine.connect(fork, null);
                Statement statement = connection.createStatement()) {
            statement.execute("stop all slaves");
            List<String> connections = new ArrayList<>();
            try (ResultSet rows = statement.executeQuery("show all slaves status")) {
                while (rows.next()) {
                    connections.add(rows.getString("Connection_name"));
                }
            }
            for (String name : connections) {
                statement.execute("reset slave " + MariaDbEngine.literal(name) + " all");
            }
        } catch (SQLException e) {
            throw new ForkrunnerException(
                    "cannot remove the replica configuration of the fork " + fork + ": " + e.getMessage(), e);
        }
    }
}
