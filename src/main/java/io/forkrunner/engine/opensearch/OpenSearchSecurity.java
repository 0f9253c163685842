package io.forkrunner.engine.opensearch;

import io.forkrunner.engine.Place;
import io.forkrunner.engine.SecurityConfiguration;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.ServiceUser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The OpenSearch security plugin's configuration, as the files {@code securityadmin.sh} applies ({@code config.yml},
 * {@code internal_users.yml}, {@code roles_mapping.yml}, ...): a backup carries the source's ({@code security/} in the
 * backup's directory), and a fork gets its own in {@code security/} of its directory. Its single sign-on domains
 * ({@code saml}, {@code openid} authenticators of {@code config.yml}) name the source's URLs: a fork's are given the
 * job's settings, or turned off. The security plugin does not run in forkrunner's nodes here: the fork's files are
 * what an operator applies to a fork that runs it.
 */
final class OpenSearchSecurity implements SecurityConfiguration {

    /** Where a backup and a fork keep the configuration. */
    static final String DIRECTORY = "security";

    private static final String CONFIG = "config.yml";
    private static final String USERS = "internal_users.yml";
    private static final List<String> SINGLE_SIGN_ON = List.of("saml", "openid");

    private final OpenSearchEngine engine;

    OpenSearchSecurity(OpenSearchEngine engine) {
        this.engine = engine;
    }

    /** Copies the YAML files of {@code source} (the service's configuration) into the backup; their names, sorted. */
    List<String> copyIntoBackup(Path source, Path backup) {
        ServiceUser user = engine.runner().serviceUser();
        Path into = user.privateDirectory(backup.resolve(DIRECTORY));
        List<String> names = new ArrayList<>();
        try (Stream<Path> files = Files.list(source)) {
            for (Path file : files.sorted().toList()) {
                String name = file.getFileName().toString();
                if (name.endsWith(".yml") && Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                    user.write(into.resolve(name), ServiceUser.readIfExists(file));
                    names.add(name);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the security configuration in " + source, e);
        }
        if (!names.contains(CONFIG)) {
            throw new ForkrunnerException("the security configuration in " + source + " has no " + CONFIG);
        }
        return names;
    }

    @Override
    public Map<String, String> singleSignOn(Path backup) {
        Path config = backup.resolve(DIRECTORY).resolve(CONFIG);
        if (!Files.exists(config, LinkOption.NOFOLLOW_LINKS)) {
            return Map.of();
        }
        Map<String, String> domains = new TreeMap<>();
        authenticationDomains(load(config)).forEach((name, domain) -> {
            String kind = kind(domain);
            if (SINGLE_SIGN_ON.contains(kind) && !Boolean.FALSE.equals(domain.get("http_enabled"))) {
                domains.put(name, kind);
            }
        });
        return domains;
    }

    @Override
    public List<String> writeForFork(Path backup, Place place, boolean copyUsers, SingleSignOn sso) {
        Path from = backup.resolve(DIRECTORY);
        if (!Files.isDirectory(from, LinkOption.NOFOLLOW_LINKS)) {
            return List.of();
        }
        ServiceUser user = engine.runner().serviceUser();
        Path into = user.privateDirectory(place.directory().resolve(DIRECTORY));
        List<String> report = new ArrayList<>();
        List<String> written = new ArrayList<>();
        try (Stream<Path> files = Files.list(from)) {
            for (Path file : files.sorted().toList()) {
                String name = file.getFileName().toString();
                String text = ServiceUser.readIfExists(file);
                if (name.equals(CONFIG)) {
                    Map<String, Object> config = load(file);
                    report.addAll(singleSignOnForFork(config, sso));
                    text = dump(config);
                } else if (name.equals(USERS)) {
                    Map<String, Object> users = load(file);
                    long count = users.keySet().stream()
                            .filter(key -> !key.equals("_meta"))
                            .count();
                    if (copyUsers) {
                        report.add("users: " + count + " internal users, with their hashed passwords");
                    } else {
                        users.keySet().removeIf(key -> !key.equals("_meta"));
                        text = dump(users);
                        report.add("users: none of the source's " + count + " internal users (users: none)");
                    }
                }
                user.write(into.resolve(name), text);
                written.add(name);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the security configuration of the backup in " + backup, e);
        }
        report.add(
                0,
                "security-configuration: " + String.join(", ", written) + " written to " + into
                        + " (the security plugin does not run in forkrunner's nodes: apply them with securityadmin.sh)");
        return report;
    }

    /** Gives each single sign-on domain of {@code sso}'s kind its settings, and turns every other one off. */
    private static List<String> singleSignOnForFork(Map<String, Object> config, SingleSignOn sso) {
        List<String> report = new ArrayList<>();
        authenticationDomains(config).forEach((name, domain) -> {
            String kind = kind(domain);
            if (!SINGLE_SIGN_ON.contains(kind)) {
                return;
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> authenticator = (Map<String, Object>) domain.get("http_authenticator");
            if (sso != null && sso.kind().equals(kind)) {
                authenticator.put("config", pluginSettings(sso));
                report.add("sso: " + kind + " domain " + name + " given the fork's own settings"
                        + (kind.equals("saml")
                                ? " (SP entity id " + sso.settings().get("sp_entity_id") + ", Dashboards "
                                        + sso.settings().get("dashboards_url") + ")"
                                : " (" + sso.settings().get("connect_url") + ")"));
            } else {
                domain.put("http_enabled", false);
                domain.put("transport_enabled", false);
                authenticator.put("config", new LinkedHashMap<>()); // none of the source's URLs stays
                report.add("sso: " + kind + " domain " + name + " turned off");
            }
        });
        return report;
    }

    /** The job's settings as the security plugin names them. */
    private static Map<String, Object> pluginSettings(SingleSignOn sso) {
        Map<String, String> given = sso.settings();
        Map<String, Object> config = new LinkedHashMap<>();
        if (sso.kind().equals("saml")) {
            config.put(
                    "idp",
                    new LinkedHashMap<>(Map.of(
                            "metadata_url", given.get("idp_metadata_url"), "entity_id", given.get("idp_entity_id"))));
            config.put("sp", new LinkedHashMap<>(Map.of("entity_id", given.get("sp_entity_id"))));
            config.put("kibana_url", given.get("dashboards_url"));
            config.put("exchange_key", given.get("exchange_key"));
        } else {
            config.put("openid_connect_url", given.get("connect_url"));
        }
        for (String key : List.of("roles_key", "subject_key")) {
            if (given.containsKey(key)) {
                config.put(key, given.get(key));
            }
        }
        return config;
    }

    /** The authentication domains of a {@code config.yml}, by name; empty when it has none. */
    @SuppressWarnings("unchecked")
    private static Map<String, Map<String, Object>> authenticationDomains(Map<String, Object> config) {
        Object domains = path(config, "config", "dynamic", "authc");
        Map<String, Map<String, Object>> found = new LinkedHashMap<>();
        if (domains instanceof Map<?, ?> map) {
            map.forEach((name, domain) -> {
                if (domain instanceof Map<?, ?>) {
                    found.put(String.valueOf(name), (Map<String, Object>) domain);
                }
            });
        }
        return found;
    }

    private static String kind(Map<String, Object> domain) {
        return String.valueOf(path(domain, "http_authenticator", "type"));
    }

    private static Object path(Map<String, Object> map, String... keys) {
        Object at = map;
        for (String key : keys) {
            if (!(at instanceof Map<?, ?> each)) {
                return null;
            }
            at = each.get(key);
        }
        return at;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> load(Path file) {
        Object loaded = new Yaml(new SafeConstructor(new LoaderOptions())).load(ServiceUser.readIfExists(file));
        if (!(loaded instanceof Map<?, ?>)) {
            throw new ForkrunnerException(file + " is not a mapping of the security plugin's configuration");
        }
        return (Map<String, Object>) loaded;
    }

    private static String dump(Map<String, Object> yaml) {
        DumperOptions options = new DumperOptions();
        options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        return "# written by forkrunner for a fork\n" + new Yaml(options).dump(yaml);
    }
}
