package io.forkrunner.engine.redis;

import io.forkrunner.engine.BackupLayDown;
import io.forkrunner.engine.CopyRate;
import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.GeneratedLogin;
import io.forkrunner.engine.PhysicalRestore;
import io.forkrunner.engine.Place;
import io.forkrunner.engine.Progress;
import io.forkrunner.engine.Restored;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.ServiceUser;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A Redis fork from a backup: the snapshot and ACL file laid down as the new server's data, the server started on them
 * (it loads the snapshot; keys whose absolute expiry time has passed are not loaded), then compared key by key with the
 * digest the backup recorded. There is nothing to replay: the fork holds the backup's moment.
 */
final class RedisRestore implements PhysicalRestore {

    /** Made when the server is first started on the laid-down data: from then on nothing is laid down again. */
    private static final String RECOVERY_STARTED = "recovery-started";

    private final RedisEngine engine;

    RedisRestore(RedisEngine engine) {
        this.engine = engine;
    }

    @Override
    public String layDown(Path backup, Place place, long bytesPerSecond, Progress progress) {
        if (Files.exists(place.directory().resolve(RECOVERY_STARTED), LinkOption.NOFOLLOW_LINKS)) {
            return null;
        }
        ServiceUser user = engine.runner().serviceUser();
        RedisServer server = engine.server(place);
        user.privateDirectory(place.directory());
        BackupLayDown.Way way = new BackupLayDown(engine.runner())
                .layDown(backup, server.dataDirectory(), place.directory(), new CopyRate(bytesPerSecond), progress);
        user.privateDirectory(server.dataDirectory());
        user.own(server.dataDirectory());
        return way.description();
    }

    /**
     * Starts the fork on its laid-down data. When the source's login has no password, the fork's copy of that user is
     * given the fork's generated one before the server starts: no login to a fork goes without a password.
     */
    @Override
    public Restored recover(
            Place place, Path archive, String backupStart, Instant target, Endpoint admin, Progress progress) {
        RedisServer server = engine.server(place);
        ServiceUser user = engine.runner().serviceUser();
        Path started = place.directory().resolve(RECOVERY_STARTED);
        if (!Files.exists(started, LinkOption.NOFOLLOW_LINKS)) {
            if (admin.password() == null) {
                requirePassword(
                        server,
                        admin.user(),
                        GeneratedLogin.password(place.directory()).reveal());
            }
            user.write(started, "recovery began " + engine.clock().instant() + "\n");
        }
        if (!server.isRunning()) {
            server.start(place.port());
        }
        return new Restored(1, true, 0);
    }

    /** The fork's ACL file with {@code name}'s {@code nopass} replaced by the hash of {@code password}. */
    private void requirePassword(RedisServer server, String name, String password) {
        String acl = ServiceUser.readIfExists(server.aclFile());
        String rewritten = acl.lines()
                .map(line -> line.startsWith("user " + name + " ")
                        ? line.replace(" nopass", " resetpass #" + RedisUsers.hash(password))
                        : line)
                .collect(Collectors.joining("\n", "", "\n"));
        engine.runner().serviceUser().write(server.aclFile(), rewritten);
    }

    /**
     * Reads every key of the fork and compares it with the digest its backup recorded: each key without an expiry
     * there with the same value; each key with an expiry there with the same value and expiry time unless that time
     * has passed; nothing else.
     */
    @Override
    public Optional<String> compareWithBackup(Path backup, Place place, Endpoint admin) {
        KeyDigest recorded = KeyDigest.read(backup.resolve(RedisBackups.DIGEST));
        Endpoint fork = GeneratedLogin.of(admin, "127.0.0.1", place.port(), place.directory());
        KeyDigest found;
        try (RedisConnection connection = RedisConnection.open(fork)) {
            found = KeyDigest.of(connection);
        }
        Instant readBy = engine.clock().instant();
        List<String> differences = recorded.differences(found, readBy);
        if (!differences.isEmpty()) {
            throw new ForkrunnerException(
                    "the fork does not hold what its backup holds: " + String.join("; ", differences));
        }
        return Optional.of(
                "equal: " + found.keys() + " keys in " + found.keysPerDatabase().size()
                        + " databases, " + found.volatileKeys() + " with an expiry; " + recorded.expiredBy(readBy)
                        + " keys of the backup had expired by " + readBy);
    }
}
