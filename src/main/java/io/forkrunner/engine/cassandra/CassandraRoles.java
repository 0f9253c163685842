package io.forkrunner.engine.cassandra;

import com.datastax.oss.driver.api.core.cql.Row;
import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.Role;
import io.forkrunner.engine.Users;
import io.forkrunner.system.Sha256;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The roles of a Cassandra cluster, as a backup records them ({@code system_auth}: each role's login and superuser
 * flags, its salted password hash, its memberships, and the permissions granted to it on keyspaces, tables and roles)
 * and a fork recreates them: with the same hashes, so the source's passwords log in to the fork, and nothing more.
 * Reading the hashes takes a superuser.
 */
final class CassandraRoles implements Users {

    /** The superuser a new cluster makes for itself, which a fork keeps only where its source had it. */
    static final String DEFAULT_SUPERUSER = "cassandra";

    /** The roles of the cluster {@code cql} reaches, with their hashes and permissions, as a backup records them. */
    static ObjectNode read(CassandraCql cql) {
        Map<String, ObjectNode> roles = new TreeMap<>();
        for (Row row :
                cql.execute("SELECT role, can_login, is_superuser, member_of, salted_hash FROM system_auth.roles")) {
            ObjectNode role = JsonNodeFactory.instance.objectNode();
            role.put("login", row.getBoolean("can_login"));
            role.put("superuser", row.getBoolean("is_superuser"));
            role.put("salted-hash", row.getString("salted_hash"));
            ArrayNode memberOf = role.putArray("member-of");
            new TreeSet<>(row.getSet("member_of", String.class)).forEach(memberOf::add);
            role.putObject("permissions");
            roles.put(row.getString("role"), role);
        }
        for (Row row : cql.execute("SELECT role, resource, permissions FROM system_auth.role_permissions")) {
            ObjectNode role = roles.get(row.getString("role"));
            if (role != null) {
                ArrayNode granted = ((ObjectNode) role.get("permissions")).putArray(row.getString("resource"));
                new TreeSet<>(row.getSet("permissions", String.class)).forEach(granted::add);
            }
        }
        ObjectNode record = JsonNodeFactory.instance.objectNode();
        roles.forEach(record::set);
        return record;
    }

    /**
     * Makes the fork's roles those {@code recorded}: each created (or, for the new cluster's own superuser, altered)
     * with its hash and flags, then the memberships and permissions. Returns the permissions on resources a fork cannot
     * grant (functions, JMX beans), which were left out, as {@code ROLE: RESOURCE}.
     */
    static List<String> recreate(CassandraCql fork, JsonNode recorded, String loggedInAs) {
        Set<String> existing = new TreeSet<>();
        fork.execute("SELECT role FROM system_auth.roles").forEach(row -> existing.add(row.getString("role")));
        for (String name : recorded.propertyNames()) {
            JsonNode role = recorded.path(name);
            StringBuilder options = new StringBuilder();
            String hash = role.path("salted-hash").asString(null);
            if (hash != null) {
                options.append("HASHED PASSWORD = ").append(literal(hash)).append(" AND ");
            }
            options.append("LOGIN = ").append(role.path("login").asBoolean());
            if (!name.equals(loggedInAs)) { // Cassandra lets no role change its own superuser status
                options.append(" AND SUPERUSER = ")
                        .append(role.path("superuser").asBoolean());
            }
            String verb = existing.contains(name) ? "ALTER ROLE " : "CREATE ROLE ";
            // the statement holds the role's hash: a failure names the role, never the statement
            fork.executeDescribed(
                    verb.toLowerCase(Locale.ROOT).strip() + " " + name, verb + identifier(name) + " WITH " + options);
        }
        List<String> left = new ArrayList<>();
        for (String name : recorded.propertyNames()) {
            JsonNode role = recorded.path(name);
            for (JsonNode parent : role.path("member-of")) {
                fork.execute("GRANT " + identifier(parent.asString()) + " TO " + identifier(name));
            }
            JsonNode permissions = role.path("permissions");
            for (String resource : permissions.propertyNames()) {
                String on = resource(resource);
                if (on == null) {
                    left.add(name + ": " + resource);
                    continue;
                }
                for (JsonNode permission : permissions.path(resource)) {
                    fork.execute(
                            "GRANT " + permission(permission.asString()) + " ON " + on + " TO " + identifier(name));
                }
            }
        }
        return left;
    }

    /**
     * The CQL of a resource as {@code system_auth} names it ({@code data/KS/TABLE}, {@code roles/ROLE}); null for one
     * forkrunner does not grant on forks.
     */
    static String resource(String resource) {
        String[] parts = resource.split("/", -1);
        return switch (parts[0]) {
            case "data" ->
                switch (parts.length) {
                    case 1 -> "ALL KEYSPACES";
                    case 2 -> "KEYSPACE " + identifier(parts[1]);
                    case 3 -> "TABLE " + identifier(parts[1]) + "." + identifier(parts[2]);
                    default -> null;
                };
            case "roles" ->
                switch (parts.length) {
                    case 1 -> "ALL ROLES";
                    case 2 -> "ROLE " + identifier(parts[1]);
                    default -> null;
                };
            default -> null;
        };
    }

    /** A permission's name as recorded, checked to be one word before it becomes CQL. */
    private static String permission(String name) {
        if (!name.matches("[A-Z][A-Z_]*")) {
            throw new IllegalArgumentException("not a Cassandra permission: " + name);
        }
        return name;
    }

    /** A name as a quoted CQL identifier. */
    static String identifier(String name) {
        return "\"" + name.replace("\"", "\"\"") + "\"";
    }

    /** A value as a CQL string literal. */
    static String literal(String value) {
        return "'" + value.replace("'", "''") + "'";
    }

    /** The roles, each with a digest of its hash (never the hash), its flags and memberships. */
    @Override
    public List<Role> roles(Endpoint endpoint) {
        List<Role> roles = new ArrayList<>();
        try (CassandraCql cql = CassandraCql.open(endpoint)) {
            JsonNode recorded = read(cql);
            for (String name : recorded.propertyNames()) {
                JsonNode role = recorded.path(name);
                String hash = role.path("salted-hash").asString(null);
                List<String> memberOf = new ArrayList<>();
                role.path("member-of").forEach(parent -> memberOf.add(parent.asString()));
                roles.add(new Role(
                        name,
                        role.path("superuser").asBoolean(),
                        role.path("login").asBoolean(),
                        false,
                        false,
                        false,
                        false,
                        -1,
                        hash == null ? null : Sha256.hex(hash),
                        memberOf));
            }
        }
        return roles;
    }

    /**
     * Gives every role but {@code admin}'s a new random password that is written nowhere: Cassandra keeps no login
     * role without one, so the source's passwords no longer log in.
     */
    @Override
    public void removePasswords(Endpoint admin) {
        SecureRandom random = new SecureRandom();
        try (CassandraCql cql = CassandraCql.open(admin)) {
            for (Row row : cql.execute("SELECT role, salted_hash FROM system_auth.roles")) {
                String name = row.getString("role");
                if (!name.equals(admin.user()) && row.getString("salted_hash") != null) {
                    byte[] password = new byte[24];
                    random.nextBytes(password);
                    cql.execute("ALTER ROLE " + identifier(name) + " WITH PASSWORD = "
                            + literal(HexFormat.of().formatHex(password)));
                }
            }
        }
    }
}
