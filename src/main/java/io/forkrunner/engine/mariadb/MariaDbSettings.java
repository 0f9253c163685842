package io.forkrunner.engine.mariadb;

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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A MariaDB server's configuration: the global variables whose value the source's option files, command line or a
 * {@code SET GLOBAL} gave (not the compiled-in defaults), less those that belong to its host or that forkrunner sets
 * for every fork (replication stays off, the event scheduler too). A fork gets them as options, applied at every start.
 */
final class MariaDbSettings implements ServerSettings {

    /** Host-specific, or forkrunner's own on every fork. */
    private static final Pattern NOT_COPIED = Pattern.compile("port|bind_address|socket|datadir|basedir|tmpdir|pid_file"
            + "|log_error|log_bin.*|log_basename|server_id|server_uuid|hostname|plugin_dir|character_sets_dir"
            + "|lc_messages_dir|secure_file_priv|general_log_file|slow_query_log_file|innodb_data_home_dir"
            + "|innodb_log_group_home_dir|innodb_undo_directory|innodb_tmpdir|aria_log_dir_path"
            + "|innodb_buffer_pool_filename|relay_log.*|report_.*|replicate_.*|master_.*|slave_.*|gtid_.*"
            + "|skip_slave_start|event_scheduler|read_only|super_read_only|init_file|wsrep_.*|ssl_.*|version.*"
            + "|system_time_zone|binlog_format|log_slave_updates|sql_log_bin");

    private final MariaDbEngine engine;
    private volatile Set<String> known;

    MariaDbSettings(MariaDbEngine engine) {
        this.engine = engine;
    }

    @Override
    public Map<String, String> read(Endpoint source) {
        Map<String, String> settings = new TreeMap<>();
        try (Connection connection = engine.connect(source, null);
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("select lower(variable_name), global_value"
                        + " from information_schema.system_variables"
                        + " where global_value_origin in ('CONFIG', 'COMMAND-LINE', 'SQL')")) {
            while (rows.next()) {
                String name = rows.getString(1);
                String value = rows.getString(2);
                if (value != null && !NOT_COPIED.matcher(name).matches()) {
                    settings.put(name, value);
                }
            }
        } catch (SQLException e) {
            throw new ForkrunnerException("cannot read the settings of " + source + ": " + e.getMessage(), e);
        }
        return settings;
    }

    /**
     * Keeps the settings the fork's version knows as its options and restarts it; returns those it does not know, and
     * those an option file cannot hold (an empty value, a line break or {@code #}), which were left out.
     */
    @Override
    public List<String> apply(Place place, Endpoint admin, Map<String, String> settings) {
        Set<String> known = knownOptions();
        Map<String, String> options = new LinkedHashMap<>();
        List<String> leftOut = new ArrayList<>();
        settings.forEach((name, value) -> {
            if (known.contains(name)
                    && !value.isEmpty()
                    && value.chars().noneMatch(c -> c == '\n' || c == '\r' || c == '#')) {
                options.put(name, value);
            } else {
                leftOut.add(name);
            }
        });
        MariaDbServers servers = engine.servers();
        servers.writeSettings(place, options);
        servers.stop(place);
        servers.start(place);
        return leftOut;
    }

    @Override
    public Map<String, String> heldOnForks() {
        return Map.of(
                "event_scheduler", "OFF: the source's scheduled events do not run on a fork (events: on runs them)");
    }

    @Override
    public Map<String, String> scheduledEvents() {
        return Map.of("event_scheduler", "ON");
    }

    @Override
    public Map<String, String> defaults(Endpoint endpoint) {
        Map<String, String> defaults = new TreeMap<>();
        try (Connection connection = engine.connect(endpoint, null);
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery(
                        "select lower(variable_name), coalesce(default_value, '') from information_schema.system_variables")) {
            while (rows.next()) {
                defaults.put(rows.getString(1), rows.getString(2));
            }
        } catch (SQLException e) {
            throw new ForkrunnerException("cannot read the settings of " + endpoint + ": " + e.getMessage(), e);
        }
        return defaults;
    }

    /**
     * The variables this server version takes as options, as {@code mariadbd --verbose --help} lists them (its table of
     * "Variables"), named with underscores like {@code information_schema.system_variables}.
     */
    private Set<String> knownOptions() {
        Set<String> found = known;
        if (found == null) {
            String help = engine.runner()
                    .run(Command.of(engine.binaries().server().toString(), "--no-defaults", "--verbose", "--help")
                            .withTimeout(Duration.ofMinutes(1)));
            found = new HashSet<>();
            boolean table = false;
            for (String line : help.lines().toList()) {
                if (line.startsWith("-----")) {
                    table = true;
                } else if (table && !line.isBlank()) {
                    found.add(line.split("\\s+")[0].replace('-', '_'));
                }
            }
            known = Set.copyOf(found);
        }
        return found;
    }
}
