package io.forkrunner.engine;

import java.util.List;

/**
 * What a fork made in an existing server did to the server's roles.
 *
 * @param rolesCreated the source's roles the server lacked, created with their verifiers and memberships
 * @param rolesLeftAlone the source's roles the server had already: left exactly as they were
 * @param privilegesWithheld what created roles held on the source and were not given on the server, one entry per
 *     role: {@code ROLE: superuser, createrole, replication, bypassrls, member of ROLE} (memberships only in roles the
 *     fork created itself are given)
 */
public record NewDatabase(List<String> rolesCreated, List<String> rolesLeftAlone, List<String> privilegesWithheld) {

    public NewDatabase {
        rolesCreated = List.copyOf(rolesCreated);
        rolesLeftAlone = List.copyOf(rolesLeftAlone);
        privilegesWithheld = List.copyOf(privilegesWithheld);
    }
}
