package io.forkrunner.engine;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A search service's security configuration, kept beside its data as files (its security plugin's users, role mappings
 * and authentication domains): a backup carries the source's, and a fork gets its own from it. Single sign-on domains
 * name the source's URLs and are never carried as they are.
 */
public interface SecurityConfiguration {

    /** The single sign-on domains turned on in the backup in {@code backup}, by name, with their kind ({@code saml}, {@code openid}); empty when it has none or no configuration. */
    Map<String, String> singleSignOn(Path backup);

    /**
     * Writes the fork's configuration at {@code place} from the backup's: its users when {@code copyUsers} (otherwise
     * none), its role mappings, and its single sign-on domains each either given {@code sso} (when it is of their kind)
     * or turned off. Returns what it did, one line each, for the run's report; empty when the backup has no
     * configuration.
     *
     * @param sso the fork's own settings, secrets revealed, or null to turn every single sign-on domain off
     */
    List<String> writeForFork(Path backup, Place place, boolean copyUsers, SingleSignOn sso);

    /** A fork's own single sign-on: its kind and settings, secrets revealed. */
    record SingleSignOn(String kind, Map<String, String> settings) {}
}
