package io.forkrunner.engine;

import java.util.List;

/**
 * A database role as a fork must carry it: attributes, memberships, and a digest of its password verifier (the verifier
 * itself is never reported).
 */
public record Role(
        String name,
        boolean superuser,
        boolean login,
        boolean createDatabase,
        boolean createRole,
        boolean replication,
        boolean bypassRowSecurity,
        int connectionLimit,
        String verifierDigest,
        List<String> memberOf) {}
