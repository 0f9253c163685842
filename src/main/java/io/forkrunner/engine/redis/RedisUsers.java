package io.forkrunner.engine.redis;

import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.Role;
import io.forkrunner.engine.Users;
import io.forkrunner.system.Sha256;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * The ACL users of a Redis server. A user's rules come back from {@code ACL LIST} in an order of the server's own, so
 * they are compared as a sorted set of tokens; its password hashes ({@code #...}) are reported only as a digest.
 */
public final class RedisUsers implements Users {

    @Override
    public List<Role> roles(Endpoint endpoint) {
        try (RedisConnection connection = RedisConnection.open(endpoint)) {
            return roles(aclList(connection));
        }
    }

    /** The lines of {@code ACL LIST}: {@code user NAME RULES...}, one a user. */
    static List<String> aclList(RedisConnection connection) {
        List<String> lines = new ArrayList<>();
        for (Object line : (List<?>) connection.call("ACL", "LIST")) {
            lines.add(RedisConnection.asText(line));
        }
        return lines;
    }

    static List<Role> roles(List<String> aclLines) {
        List<Role> roles = new ArrayList<>();
        for (String line : aclLines) {
            String[] tokens = line.split(" ");
            if (tokens.length < 2 || !tokens[0].equals("user")) {
                continue;
            }
            List<String> hashes = new ArrayList<>();
            List<String> rules = new ArrayList<>();
            for (String token : Arrays.asList(tokens).subList(2, tokens.length)) {
                (token.startsWith("#") ? hashes : rules).add(token);
            }
            hashes.sort(null);
            rules.sort(null);
            boolean on = rules.contains("on");
            boolean all = rules.contains("+@all") && (rules.contains("~*") || rules.contains("allkeys"));
            roles.add(new Role(
                    tokens[1], all, on, false, false, false, false, -1, hash(String.join(" ", hashes)), rules));
        }
        roles.sort(Comparator.comparing(Role::name));
        return roles;
    }

    /**
     * Leaves the one user {@code admin} logs in as (with its password) and deletes every other, for a job with
     * {@code users: none}; the ACL file keeps it across restarts.
     */
    @Override
    public void removePasswords(Endpoint admin) {
        try (RedisConnection connection = RedisConnection.open(admin)) {
            for (Object user : (List<?>) connection.call("ACL", "USERS")) {
                String name = RedisConnection.asText(user);
                if (!name.equals(admin.user()) && !name.equals("default")) {
                    connection.call("ACL", "DELUSER", name);
                }
            }
            if (!admin.user().equals("default")) {
                connection.call("ACL", "SETUSER", "default", "off", "resetpass", "nopass", "resetkeys", "-@all");
            }
            connection.call("ACL", "SAVE");
        }
    }

    /** SHA-256 in hex, as Redis keeps a password ({@code #HASH} in its ACL). */
    public static String hash(String text) {
        return Sha256.hex(text);
    }
}
