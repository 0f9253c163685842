package io.forkrunner.engine.postgresql;

import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.NewDatabase;
import io.forkrunner.system.ForkrunnerException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.json.JsonMapper;

/**
 * The roles of a restored backup, saved beside its dump, and created in an existing server where it lacks them: a role
 * the server has already is never changed, and a created role gets nothing the source did not own: no superuser,
 * createrole, replication or row-security bypass, and membership only in roles the same fork created (never in a role
 * the server had, nor in a predefined {@code pg_*} role).
 */
final class PostgresRoles {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final PostgresEngine engine;

    PostgresRoles(PostgresEngine engine) {
        this.engine = engine;
    }

    /** A role as the backup had it, with its password verifier: the file is as private as the dump. */
    record SavedRole(
            String name,
            boolean superuser,
            boolean inherit,
            boolean createRole,
            boolean createDatabase,
            boolean login,
            boolean replication,
            boolean bypassRowSecurity,
            int connectionLimit,
            String validUntil,
            String verifier,
            Map<String, Boolean> memberOf) {}

    /** The roles of a server and the owners of its databases. */
    record Saved(List<SavedRole> roles, Map<String, String> owners) {}

    void save(Endpoint source, List<String> databases, Path file) {
        List<SavedRole> roles = new ArrayList<>();
        Map<String, String> owners = new LinkedHashMap<>();
        try (Connection connection = engine.connect(source, "postgres");
                Statement statement = connection.createStatement()) {
            try (ResultSet rows = statement.executeQuery("select r.oid, r.rolname, r.rolsuper, r.rolinherit,"
                    + " r.rolcreaterole, r.rolcreatedb, r.rolcanlogin, r.rolreplication, r.rolbypassrls,"
                    + " r.rolconnlimit, r.rolvaliduntil::text, r.rolpassword from pg_authid r"
                    + " where r.rolname !~ '^pg_' order by r.rolname")) {
                while (rows.next()) {
                    roles.add(new SavedRole(
                            rows.getString(2),
                            rows.getBoolean(3),
                            rows.getBoolean(4),
                            rows.getBoolean(5),
                            rows.getBoolean(6),
                            rows.getBoolean(7),
                            rows.getBoolean(8),
                            rows.getBoolean(9),
                            rows.getInt(10),
                            rows.getString(11),
                            rows.getString(12),
                            new LinkedHashMap<>()));
                }
            }
            Map<String, SavedRole> byName = new LinkedHashMap<>();
            roles.forEach(role -> byName.put(role.name(), role));
            try (ResultSet rows = statement.executeQuery("select member.rolname, granted.rolname, m.admin_option"
                    + " from pg_auth_members m join pg_roles member on member.oid = m.member"
                    + " join pg_roles granted on granted.oid = m.roleid order by 1, 2")) {
                while (rows.next()) {
                    SavedRole member = byName.get(rows.getString(1));
                    if (member != null) {
                        member.memberOf().put(rows.getString(2), rows.getBoolean(3));
                    }
                }
            }
            try (PreparedStatement owner =
                    connection.prepareStatement("select pg_get_userbyid(datdba) from pg_database where datname = ?")) {
                for (String database : databases) {
                    owner.setString(1, database);
                    try (ResultSet row = owner.executeQuery()) {
                        if (row.next()) {
                            owners.put(database, row.getString(1));
                        }
                    }
                }
            }
        } catch (SQLException e) {
            throw new ForkrunnerException("cannot read the roles of " + source + ": " + e.getMessage(), e);
        }
        write(file, JSON.writeValueAsString(new Saved(roles, owners)));
    }

    /** Who owned {@code database} in the saved backup. */
    String owner(Path saved, String database) {
        return read(saved).owners().get(database);
    }

    /**
     * Creates the saved roles the server at {@code server} lacks, withholding what {@link #withheldAttributes} names and
     * memberships in roles this fork did not create; what was withheld is returned, role by role. Which ones it had is recorded in {@code existingFile}
     * the first time, so that a restart does not take the roles it created itself for the server's own.
     */
    NewDatabase createMissing(Endpoint server, Path saved, Path existingFile) {
        Saved roles = read(saved);
        try (Connection connection = engine.connect(server, "postgres");
                Statement statement = connection.createStatement()) {
            Set<String> present = new HashSet<>();
            try (ResultSet rows = statement.executeQuery("select rolname from pg_roles")) {
                while (rows.next()) {
                    present.add(rows.getString(1));
                }
            }
            List<String> leftAlone;
            if (Files.exists(existingFile)) {
                leftAlone = Files.readAllLines(existingFile).stream()
                        .filter(line -> !line.isEmpty())
                        .toList();
            } else {
                leftAlone = roles.roles().stream()
                        .map(SavedRole::name)
                        .filter(present::contains)
                        .toList();
                write(existingFile, leftAlone.isEmpty() ? "" : String.join("\n", leftAlone) + "\n");
            }
            List<SavedRole> creating = roles.roles().stream()
                    .filter(role -> !leftAlone.contains(role.name()))
                    .toList();
            for (SavedRole role : creating) {
                if (!present.contains(role.name())) {
                    statement.execute(createRole(role));
                }
            }
            Set<String> created = new HashSet<>();
            creating.forEach(role -> created.add(role.name()));
            List<String> withheld = new ArrayList<>();
            for (SavedRole role : creating) {
                List<String> kept = new ArrayList<>(withheldAttributes(role));
                for (Map.Entry<String, Boolean> membership : role.memberOf().entrySet()) {
                    if (created.contains(membership.getKey())) {
                        statement.execute("grant " + PostgresCatalog.quote(membership.getKey()) + " to "
                                + PostgresCatalog.quote(role.name())
                                + (membership.getValue() ? " with admin option" : ""));
                    } else {
                        kept.add("member of " + membership.getKey());
                    }
                }
                if (!kept.isEmpty()) {
                    withheld.add(role.name() + ": " + String.join(", ", kept));
                }
            }
            return new NewDatabase(creating.stream().map(SavedRole::name).toList(), leftAlone, withheld);
        } catch (SQLException e) {
            throw new ForkrunnerException("cannot create the fork's roles on " + server + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The attributes a created role never gets on an existing server, whatever it held on the source: each could reach
     * beyond the new database.
     */
    private static List<String> withheldAttributes(SavedRole role) {
        List<String> withheld = new ArrayList<>();
        if (role.superuser()) {
            withheld.add("superuser");
        }
        if (role.createRole()) {
            withheld.add("createrole");
        }
        if (role.replication()) {
            withheld.add("replication");
        }
        if (role.bypassRowSecurity()) {
            withheld.add("bypassrls");
        }
        return withheld;
    }

    private static String createRole(SavedRole role) {
        StringBuilder sql = new StringBuilder("create role ")
                .append(PostgresCatalog.quote(role.name()))
                .append(" with nosuperuser nocreaterole noreplication nobypassrls")
                .append(role.inherit() ? " inherit" : " noinherit")
                .append(role.createDatabase() ? " createdb" : " nocreatedb")
                .append(role.login() ? " login" : " nologin")
                .append(" connection limit ")
                .append(role.connectionLimit());
        if (role.validUntil() != null) {
            sql.append(" valid until ").append(literal(role.validUntil()));
        }
        if (role.verifier() != null) {
            sql.append(" password ").append(literal(role.verifier()));
        }
        return sql.toString();
    }

    private static String literal(String text) {
        return "'" + text.replace("'", "''") + "'";
    }

    private Saved read(Path file) {
        try {
            return JSON.readValue(Files.readString(file), Saved.class);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private void write(Path file, String text) {
        engine.runner().serviceUser().write(file, text);
    }
}
