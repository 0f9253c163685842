package io.forkrunner.engine;

import java.util.List;

/** The users (roles) of a server, as a fork carries them from its backup. */
public interface Users {

    /** The roles of a server, with digests of their verifiers and their memberships, sorted by name. */
    List<Role> roles(Endpoint endpoint);

    /** Removes the passwords of the server's roles, all but the one {@code admin} logs in with. */
    void removePasswords(Endpoint admin);
}
