package io.forkrunner.engine.postgresql;

import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.Place;
import io.forkrunner.engine.ServerSettings;
import io.forkrunner.system.Command;
import io.forkrunner.system.ForkrunnerException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** The source's own settings, carried to a fork less what belongs to the source's host. */
final class PostgresSettings implements ServerSettings {

    /** Settings that name the source's host, files or replication peers, or that would tie the fork to the source. */
    static final Set<String> HOST_SPECIFIC = Set.of(
            "port",
            "default_transaction_read_only", // a rename makes its source refuse writes so; a fork takes them
            "listen_addresses",
            "unix_socket_directories",
            "unix_socket_group",
            "unix_socket_permissions",
            "data_directory",
            "config_file",
            "hba_file",
            "ident_file",
            "external_pid_file",
            "archive_mode",
            "archive_command",
            "archive_library",
            "archive_cleanup_command",
            "archive_timeout",
            "restore_command",
            "primary_conninfo",
            "primary_slot_name",
            "promote_trigger_file",
            "recovery_end_command",
            "recovery_min_apply_delay",
            "synchronous_standby_names",
            "cluster_name",
            "hot_standby",
            "hot_standby_feedback",
            "logging_collector",
            "log_directory",
            "log_filename",
            "stats_temp_directory",
            "krb_server_keyfile",
            "ssl",
            "event_source",
            "bonjour_name",
            "max_logical_replication_workers");

    private final PostgresEngine engine;

    PostgresSettings(PostgresEngine engine) {
        this.engine = engine;
    }

    /**
     * The settings the source's files and command line give. A setting this connection itself sent at its start
     * (the JDBC driver sends {@code TimeZone} and {@code DateStyle}) shows its session value and source
     * {@code client}: for those, the value the files give is taken from {@code pg_file_settings}.
     */
    @Override
    public Map<String, String> read(Endpoint source) {
        Map<String, String> settings = new TreeMap<>();
        try (Connection connection = engine.connect(source, "postgres");
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("select s.name,"
                        + " case when s.source = 'client' then f.setting else current_setting(s.name) end"
                        + " from pg_settings s left join pg_file_settings f"
                        + " on lower(f.name) = lower(s.name) and f.applied and s.source = 'client'"
                        + " where s.context <> 'internal' and (s.source in ('configuration file', 'command line')"
                        + " or f.setting is not null)")) {
            while (rows.next()) {
                String name = rows.getString(1);
                if (!HOST_SPECIFIC.contains(name) && !name.startsWith("ssl_") && !name.startsWith("recovery_target")) {
                    settings.put(name, rows.getString(2));
                }
            }
        } catch (SQLException e) {
            throw new ForkrunnerException("cannot read the settings of " + source + ": " + e.getMessage(), e);
        }
        return settings;
    }

    /** Writes the settings the fork's version knows and restarts it; returns those it does not know, left out. */
    @Override
    public List<String> apply(Place place, Endpoint admin, Map<String, String> settings) {
        PostgresBinaries binaries = PostgresBinaries.of(place.version());
        PostgresServer server = new PostgresServer(engine.runner(), binaries, place.directory());
        Set<String> known = known(binaries);
        List<String> unknown = new ArrayList<>();
        StringBuilder text = new StringBuilder("# the source's settings, copied by forkrunner\n");
        settings.forEach((name, value) -> {
            if (!known.contains(name.toLowerCase(java.util.Locale.ROOT))) {
                unknown.add(name);
                return;
            }
            text.append(name).append(" = '").append(value.replace("'", "''")).append("'\n");
        });
        engine.runner()
                .serviceUser()
                .write(server.dataDirectory().resolve(PostgresServer.SOURCE_SETTINGS_FILE), text.toString());
        server.restart();
        return unknown;
    }

    /** The settings a version's server knows, as {@code postgres --describe-config} lists them. */
    private Set<String> known(PostgresBinaries binaries) {
        String listing = engine.runner()
                .run(Command.of(binaries.path("postgres"), "--describe-config")
                        .asServiceUser()
                        .withTimeout(Duration.ofMinutes(1)));
        Set<String> names = new HashSet<>();
        listing.lines().forEach(line -> names.add(line.split("\t", 2)[0].toLowerCase(java.util.Locale.ROOT)));
        return names;
    }

    @Override
    public Map<String, String> defaults(Endpoint endpoint) {
        Map<String, String> defaults = new TreeMap<>();
        try (Connection connection = engine.connect(endpoint, "postgres");
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("select name, coalesce(boot_val, '') from pg_settings")) {
            while (rows.next()) {
                defaults.put(rows.getString(1), rows.getString(2));
            }
        } catch (SQLException e) {
            throw new ForkrunnerException("cannot read the settings of " + endpoint + ": " + e.getMessage(), e);
        }
        return defaults;
    }
}
