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
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A fork's data from a prepared backup: its files laid down (cloned where the file systems allow, else copied,
 * resumably), the server started with replication and the event scheduler off, then the archived binary logs replayed
 * from the backup's position up to the target time, one file after another. Each replayed file is recorded with the fork's GTID
 * position after it: a restart goes on with the next file, and the file it was in when it stopped is replayed from the
 * fork's own GTID position (from its start when the fork has none of it yet), so no transaction is applied twice. Any replica configuration the fork carried is removed before the fork is handed over.
 */
final class MariaDbRestore implements PhysicalRestore {

    private static final Logger log = LoggerFactory.getLogger(MariaDbRestore.class);
    /** Made when recovery begins: from then on the data directory is the fork's, and nothing is laid down again. */
    private static final String RECOVERY_STARTED = "recovery-started";
    /** The archived binlog files replayed whole onto the fork, each with the fork's GTID position after it. */
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
            engine.servers().start(place);
        }
        Endpoint fork = new Endpoint("127.0.0.1", place.port(), admin.user(), admin.password());
        endOtherSessions(fork);
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
        Map<String, String> replayed = new LinkedHashMap<>();
        ServiceUser.readIfExists(record)
                .lines()
                .map(line -> line.split(" ", 2))
                .forEach(fields -> replayed.put(fields[0], fields.length > 1 ? fields[1] : ""));
        BinlogReplay replay = new BinlogReplay(engine.runner(), engine.binaries());
        log.info(
                "replaying {} binlog files onto {} from {} to {}",
                files.size(),
                place.directory().getFileName(),
                backup,
                stoppedAtTarget ? target : "their end");
        String before = ""; // the fork's GTID position before the file: none before the first
        for (int i = 0; i < files.size(); i++) {
            Path file = files.get(i);
            String name = file.getFileName().toString();
            if (replayed.containsKey(name)) {
                before = replayed.get(name);
                continue;
            }
            String now = gtidPosition(fork);
            // nothing of this file applied yet: from its start (the backup's position in the backup's file); else it
            // was being replayed when the restore stopped: after the last transaction the fork has, which lies in it
            String start =
                    now.equals(before) ? name.equals(backup.file()) ? String.valueOf(backup.position()) : "4" : now;
            try {
                replay.replay(
                        new BinlogReplay.Range(List.of(file), start, stoppedAtTarget ? target : null),
                        MariaDbEngine.login(fork),
                        engine.clientDirectory(),
                        server.logDirectory().resolve("replay.log"));
            } catch (ForkrunnerException e) {
                // mariadb-binlog refuses a GTID start that is the file's last transaction: the restore stopped after
                // the fork had the whole file and before it was recorded; there is nothing of it left to apply
                if (start.equals(now)
                        && e.getMessage().contains("never reached expected GTID state of " + now)
                        && gtidPosition(fork).equals(now)) {
                    log.info(
                            "the fork {} had all of {} already",
                            place.directory().getFileName(),
                            name);
                } else {
                    throw e;
                }
            }
            before = gtidPosition(fork);
            replayed.put(name, before);
            StringBuilder text = new StringBuilder();
            replayed.forEach(
                    (done, gtid) -> text.append(done).append(' ').append(gtid).append('\n'));
            engine.runner().serviceUser().write(record, text.toString());
            progress.report("binlog files replayed", i + 1, files.size());
        }
        return stoppedAtTarget;
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

    /**
     * Ends every session on the fork but this one: a replay left running by a restore that was killed (its client
     * outlives forkrunner) would otherwise apply the same transactions as the restart. Its open transaction rolls back.
     */
    private void endOtherSessions(Endpoint fork) {
        try (Connection connection = engine.connect(fork, null);
                Statement statement = connection.createStatement()) {
            long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
            while (true) {
                List<Long> others = new ArrayList<>();
                try (ResultSet rows = statement.executeQuery("select id from information_schema.processlist"
                        + " where id <> connection_id() and command not in ('Daemon', 'Killed')"
                        + " and user not in ('system user', 'event_scheduler')")) {
                    while (rows.next()) {
                        others.add(rows.getLong(1));
                    }
                }
                if (others.isEmpty()) {
                    return;
                }
                if (System.nanoTime() > deadline) {
                    throw new ForkrunnerException("sessions " + others + " on the fork " + fork + " did not end");
                }
                log.warn("ending sessions {} on the fork {}: left by a restore that stopped", others, fork);
                for (long id : others) {
                    try {
                        statement.execute("kill connection " + id);
                    } catch (SQLException gone) {
                        log.debug("session {} had ended: {}", id, gone.getMessage());
                    }
                }
                Thread.sleep(100);
            }
        } catch (SQLException e) {
            throw new ForkrunnerException("cannot end the sessions on the fork " + fork + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ForkrunnerException("interrupted while ending the sessions on the fork " + fork, e);
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
