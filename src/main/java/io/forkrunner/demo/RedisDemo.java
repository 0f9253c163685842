package io.forkrunner.demo;

import io.forkrunner.Forkrunner;
import io.forkrunner.backup.BackupKeeper;
import io.forkrunner.backup.StoredBackup;
import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.redis.RedisConnection;
import io.forkrunner.engine.redis.RedisFamily;
import io.forkrunner.engine.redis.RedisServer;
import io.forkrunner.engine.redis.RedisUsers;
import io.forkrunner.fork.ForkRecord;
import io.forkrunner.fork.ForkRegistry;
import io.forkrunner.report.RunView;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.Home;
import io.forkrunner.system.ProcessRunner;
import io.forkrunner.system.Secret;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The demo with a Redis source of its own ({@code var/demo-redis}): a shop of customers and orders as hashes, an ACL
 * user {@code app} held to the shop's keys; a verified snapshot; orders written after it; a fork of the newest snapshot,
 * its customers' emails masked by a {@code redis} integration; the report, and a line that shows the fork holds the
 * shop as of the snapshot. Redis has no point in time between snapshots.
 */
final class RedisDemo extends OwnSourceDemo {

    static final int FIRST_PORT = 16680;
    private static final int CUSTOMERS = 20;

    RedisDemo(Home home, String service, String job, PrintWriter out, String metadata) {
        super(home, service, job, out, metadata);
    }

    @Override
    RunView run() throws Exception {
        Path secrets = home.var().resolve("secrets");
        RedisServer server = new RedisServer(
                RedisFamily.REDIS,
                new ProcessRunner(RedisFamily.REDIS.serviceUser()),
                home.var().resolve("source"));
        Path portFile = home.var().resolve("source.port");
        if (!Files.exists(server.aclFile()) || !Files.exists(portFile)) {
            DemoSource.writePasswords(secrets);
            server.initialize("on #" + RedisUsers.hash(DemoSource.read(secrets.resolve("source"))) + " ~* &* +@all");
            server.writeSettings(Map.of("repl-diskless-sync-delay", "0", "maxmemory-policy", "allkeys-lru"));
            Files.writeString(portFile, DemoSource.freePort(FIRST_PORT) + "\n");
        }
        int port = Integer.parseInt(Files.readString(portFile).strip());
        if (!server.isRunning()) {
            server.start(port);
        }
        Endpoint admin =
                new Endpoint("127.0.0.1", port, "default", new Secret(DemoSource.read(secrets.resolve("source"))));
        String appPassword = DemoSource.read(secrets.resolve("app"));
        writeDefinitions(port);
        int first;
        try (RedisConnection redis = RedisConnection.open(admin)) {
            redis.call(
                    "ACL", "SETUSER", "app", "on", "resetpass", ">" + appPassword, "~shop:*", "+@all", "-@dangerous");
            redis.call("ACL", "SAVE");
            for (int id = 1; id <= CUSTOMERS; id++) {
                redis.call(
                        "HSET",
                        "shop:customer:" + id,
                        "name",
                        "Customer " + id,
                        "email",
                        "person" + id + "@example.com");
            }
            first = newestOrder(redis) >= 100 ? newestOrder(redis) : addOrders(redis, 100 - newestOrder(redis), "seed");
        }
        out.printf(
                "1. source %s: Redis on 127.0.0.1:%d, the shop's %d customers and %d orders as hashes, ACL user app%n",
                service, port, CUSTOMERS, first);
        try (Forkrunner forkrunner = Forkrunner.boot(home, false)) {
            StoredBackup backup = forkrunner.bean(BackupKeeper.class).backup(service);
            out.printf(
                    "2. snapshot %s over the replication protocol: verified by redis-check-rdb, its keys digested,"
                            + " %d KB%n",
                    backup.id(), backup.sizeBytes() / 1024);
            int after;
            try (RedisConnection redis = RedisConnection.open(admin)) {
                after = addOrders(redis, 50, "after the snapshot");
            }
            out.printf(
                    "3. wrote orders up to id %d after the snapshot; a Redis fork holds a snapshot's moment%n", after);
            RunView run = forkNewestSnapshot(forkrunner);
            ForkRecord fork =
                    forkrunner.bean(ForkRegistry.class).find(run.fork()).orElseThrow();
            try (RedisConnection app =
                    RedisConnection.open(new Endpoint("127.0.0.1", fork.port(), "app", new Secret(appPassword)))) {
                int newest = newestOrder(app);
                out.printf(
                        "5. the fork holds %d orders, the newest id %d: the shop as of snapshot %s (the source has"
                                + " orders up to id %d)%n",
                        (Long) app.call("ZCARD", "shop:orders"), newest, backup.id(), after);
                if (newest != first) {
                    throw new ForkrunnerException("the fork's newest order is " + newest + ", not " + first);
                }
                out.printf(
                        "   customers were masked on the fork by jobs/redis/mask.redis: %s%n",
                        app.text("HGET", "shop:customer:1", "email"));
            }
            printWhere(
                    fork,
                    run,
                    String.format("redis-cli -p %d --user app --askpass < %s", fork.port(), secrets.resolve("app")));
            return run;
        }
    }

    private void writeDefinitions(int port) throws IOException {
        write("config/forkrunner.yml", metadata);
        write(
                "config/services.yml",
                "regions:\n  demo: { provisioner: local, root: var/regions/demo, ports: 16600-16679 }\n"
                        + "services:\n  " + service + ":\n    engine: redis\n    region: demo\n"
                        + "    host: 127.0.0.1\n    port: " + port + "\n    user: default\n"
                        + "    password: ${file:var/secrets/source}\n    backups: { keep: 2 }\n");
        write(
                "jobs/" + job + ".yml",
                "description: The demo's fork of the shop, customers masked\n"
                        + "source: " + service + "\ntarget:\n  name: " + service + "-{run}\n"
                        + "integrations:\n  - { type: redis, file: jobs/redis/mask.redis }\n"
                        + "checks:\n  - EXISTS shop:orders\nretention:\n  keep: 2\n");
        StringBuilder mask = new StringBuilder();
        for (int id = 1; id <= CUSTOMERS; id++) {
            mask.append("HSET shop:customer:")
                    .append(id)
                    .append(" email customer-")
                    .append(id)
                    .append("@example.invalid\n");
        }
        write("jobs/redis/mask.redis", mask.toString());
    }

    /** Adds {@code count} orders in one transaction; returns the newest id. */
    private static int addOrders(RedisConnection redis, int count, String note) {
        int newest = newestOrder(redis);
        redis.call("MULTI");
        for (int id = newest + 1; id <= newest + count; id++) {
            redis.call("HSET", "shop:order:" + id, "customer", 1 + id % CUSTOMERS, "note", note);
            redis.call("ZADD", "shop:orders", id, id);
        }
        redis.call("EXEC");
        return newest + count;
    }

    private static int newestOrder(RedisConnection redis) {
        List<?> newest = (List<?>) redis.call("ZRANGE", "shop:orders", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", 0, 1);
        return newest.isEmpty() ? 0 : Integer.parseInt(RedisConnection.asText(newest.get(0)));
    }
}
