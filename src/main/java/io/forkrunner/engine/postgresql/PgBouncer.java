package io.forkrunner.engine.postgresql;

import io.forkrunner.definition.ServiceDefinition;
import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.Place;
import io.forkrunner.engine.Pooling;
import io.forkrunner.engine.Pools;
import io.forkrunner.system.Command;
import io.forkrunner.system.ForkrunnerException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A PgBouncer in front of a fork, in the fork's directory under {@code pgbouncer/}. It knows no password: its
 * {@code auth_file} (mode 0600) holds the fork's SCRAM verifiers, against which it checks clients, and it logs in to
 * the fork with the client's SCRAM keys. Runs as the service user, daemonized, with a pidfile.
 */
final class PgBouncer implements Pooling {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    private final PostgresEngine engine;

    PgBouncer(PostgresEngine engine) {
        this.engine = engine;
    }

    static Path directory(Place place) {
        return place.directory().resolve("pgbouncer");
    }

    @Override
    public void start(Place place, Endpoint admin, Pools pools) {
        stop(place);
        Path directory = engine.runner().serviceUser().privateDirectory(directory(place));
        writeAuthFile(directory.resolve("userlist.txt"), admin);
        Path ini = directory.resolve("pgbouncer.ini");
        engine.runner().serviceUser().write(ini, configuration(place, directory, pools));
        engine.runner().serviceUser().own(directory);
        engine.runner()
                .run(Command.of("pgbouncer", "-d", ini.toString())
                        .asServiceUser()
                        .loggingTo(directory.resolve("pgbouncer.out"))
                        .withTimeout(Duration.ofMinutes(1)));
        awaitListening(pools.port());
    }

    private String configuration(Place place, Path directory, Pools pools) {
        StringBuilder text = new StringBuilder("; written by forkrunner\n[databases]\n");
        for (ServiceDefinition.Pool pool : pools.pools()) {
            text.append(pool.name())
                    .append(" = host=127.0.0.1 port=")
                    .append(place.port())
                    .append(" dbname=")
                    .append(pool.database())
                    .append(" pool_size=")
                    .append(pool.size())
                    .append(" pool_mode=")
                    .append(pool.mode().name().toLowerCase(Locale.ROOT))
                    .append('\n');
        }
        text.append("\n[pgbouncer]\n")
                .append("listen_addr = 127.0.0.1\n")
                .append("listen_port = ")
                .append(pools.port())
                .append('\n')
                .append("unix_socket_dir =\n")
                .append("auth_type = scram-sha-256\n")
                .append("auth_file = ")
                .append(directory.resolve("userlist.txt"))
                .append('\n')
                .append("pidfile = ")
                .append(directory.resolve("pgbouncer.pid"))
                .append('\n')
                .append("logfile = ")
                .append(directory.resolve("pgbouncer.log"))
                .append('\n')
                .append("max_client_conn = 500\n")
                .append("ignore_startup_parameters = extra_float_digits,options\n");
        return text.toString();
    }

    /** The fork's login roles with their SCRAM verifiers, as PgBouncer's auth_file wants them. */
    private void writeAuthFile(Path file, Endpoint admin) {
        StringBuilder text = new StringBuilder();
        try (Connection connection = engine.connect(admin, "postgres");
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("select rolname, rolpassword from pg_authid"
                        + " where rolcanlogin and rolpassword like 'SCRAM-SHA-256$%' order by rolname")) {
            while (rows.next()) {
                text.append('"')
                        .append(rows.getString(1).replace("\"", "\"\""))
                        .append("\" \"")
                        .append(rows.getString(2))
                        .append("\"\n");
            }
        } catch (SQLException e) {
            throw new ForkrunnerException("cannot read the fork's roles for its pools: " + e.getMessage(), e);
        }
        engine.runner().serviceUser().write(file, text.toString());
    }

    private static void awaitListening(int port) {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return;
            } catch (IOException notYet) {
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ForkrunnerException("interrupted while waiting for PgBouncer on port " + port);
                }
            }
        }
        throw new ForkrunnerException("PgBouncer does not listen on port " + port + " after "
                + START_TIMEOUT.toSeconds() + " s; see its log");
    }

    /** One pool of an operator's PgBouncer: its line in the configuration and where it leads. */
    private record PoolLine(int index, String name, Map<String, String> connection) {

        boolean leadsTo(String host, int port) {
            return host.equals(connection.get("host"))
                    && String.valueOf(port).equals(connection.getOrDefault("port", "5432"));
        }
    }

    /** An operator's PgBouncer configuration: its lines, its pools, and its pidfile. */
    private record PoolerConfig(List<String> lines, List<PoolLine> pools, String pidfile) {

        static PoolerConfig read(Path ini) {
            List<String> lines;
            try {
                lines = new ArrayList<>(Files.readAllLines(ini));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + ini, e);
            }
            List<PoolLine> pools = new ArrayList<>();
            String section = "";
            String pidfile = null;
            for (int index = 0; index < lines.size(); index++) {
                String line = lines.get(index).strip();
                if (line.startsWith("[") && line.endsWith("]")) {
                    section = line.substring(1, line.length() - 1).strip().toLowerCase(Locale.ROOT);
                    continue;
                }
                int equals = line.indexOf('=');
                if (line.isEmpty() || line.startsWith(";") || line.startsWith("#") || equals < 0) {
                    continue;
                }
                String key = line.substring(0, equals).strip();
                String value = line.substring(equals + 1).strip();
                if (section.equals("pgbouncer") && key.equals("pidfile")) {
                    pidfile = value;
                }
                if (section.equals("databases")) {
                    Map<String, String> connection = new LinkedHashMap<>();
                    for (String pair : value.split("\\s+")) {
                        int at = pair.indexOf('=');
                        if (at > 0) {
                            connection.put(pair.substring(0, at), pair.substring(at + 1));
                        }
                    }
                    pools.add(new PoolLine(index, key, connection));
                }
            }
            return new PoolerConfig(lines, pools, pidfile);
        }
    }

    /** The names of the pools of an operator's PgBouncer that lead to {@code host}:{@code port}. */
    @Override
    public List<String> leadingTo(Path poolerConfig, Endpoint endpoint) {
        return poolsLeadingTo(poolerConfig, endpoint.host(), endpoint.port());
    }

    private List<String> poolsLeadingTo(Path ini, String host, int port) {
        return PoolerConfig.read(ini).pools().stream()
                .filter(pool -> pool.leadsTo(host, port))
                .map(PoolLine::name)
                .toList();
    }

    /**
     * Points the pools of an operator's PgBouncer that lead to {@code from} at {@code to}: their host and port are
     * rewritten in its configuration (the file before is kept beside it as {@code .before-rename}), then PgBouncer
     * reloads it (SIGHUP to the pid in its {@code pidfile}). Clients stay connected to PgBouncer; their next server
     * connection goes to {@code to}. Returns the names of the pools that lead to {@code to} now, those pointed before
     * (by a rename that stopped after pointing them) included; empty when no pool leads to either.
     */
    @Override
    public List<String> repoint(Path poolerConfig, Endpoint from, Endpoint to) {
        return repoint(poolerConfig, from.host(), from.port(), to.host(), to.port());
    }

    private List<String> repoint(Path ini, String fromHost, int fromPort, String toHost, int toPort) {
        PoolerConfig config = PoolerConfig.read(ini);
        List<String> lines = config.lines();
        List<String> pointed = new ArrayList<>();
        for (PoolLine pool : config.pools()) {
            if (pool.leadsTo(fromHost, fromPort)) {
                Map<String, String> connection = new LinkedHashMap<>(pool.connection());
                connection.put("host", toHost);
                connection.put("port", String.valueOf(toPort));
                StringBuilder rewritten = new StringBuilder(pool.name()).append(" =");
                connection.forEach((name, setting) ->
                        rewritten.append(' ').append(name).append('=').append(setting));
                lines.set(pool.index(), rewritten.toString());
                pointed.add(pool.name());
            } else if (pool.leadsTo(toHost, toPort)) {
                pointed.add(pool.name());
            }
        }
        if (pointed.isEmpty()) {
            return pointed;
        }
        String pidfile = config.pidfile();
        if (pidfile == null) {
            throw new ForkrunnerException(ini + " has no pidfile in [pgbouncer]: forkrunner cannot reload it; nothing"
                    + " was changed there");
        }
        long pid;
        try {
            pid = Long.parseLong(Files.readString(Path.of(pidfile)).strip());
        } catch (IOException | NumberFormatException e) {
            throw new ForkrunnerException(
                    "cannot read the pid of the PgBouncer of " + ini + " from " + pidfile + ": " + e, e);
        }
        try {
            Path before = ini.resolveSibling(ini.getFileName() + ".before-rename");
            if (!Files.exists(before)) {
                Files.copy(ini, before, StandardCopyOption.COPY_ATTRIBUTES);
            }
            Path next = ini.resolveSibling(ini.getFileName() + ".next");
            Files.copy(ini, next, StandardCopyOption.COPY_ATTRIBUTES, StandardCopyOption.REPLACE_EXISTING);
            Files.write(next, lines);
            Files.move(next, ini, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot rewrite " + ini, e);
        }
        engine.runner().run(Command.of("kill", "-HUP", String.valueOf(pid)).withTimeout(Duration.ofSeconds(10)));
        return pointed;
    }

    @Override
    public boolean running(Place place) {

        return process(place).map(ProcessHandle::isAlive).orElse(false);
    }

    @Override
    public void stop(Place place) {
        Optional<ProcessHandle> process = process(place);
        if (process.isEmpty() || !process.get().isAlive()) {
            return;
        }
        process.get().destroy();
        try {
            process.get().onExit().get(START_TIMEOUT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
            process.get().destroyForcibly();
        }
    }

    private static Optional<ProcessHandle> process(Place place) {
        Path pidfile = directory(place).resolve("pgbouncer.pid");
        try {
            if (!Files.exists(pidfile)) {
                return Optional.empty();
            }
            long pid = Long.parseLong(Files.readString(pidfile).strip());
            return ProcessHandle.of(pid)
                    .filter(handle -> handle.info().command().orElse("").endsWith("pgbouncer"));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }
}
