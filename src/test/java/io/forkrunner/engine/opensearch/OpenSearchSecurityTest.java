package io.forkrunner.engine.opensearch;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkrunner.engine.Place;
import io.forkrunner.engine.SecurityConfiguration.SingleSignOn;
import io.forkrunner.system.Home;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * A fork's security files from its backup's, without a node (the security plugin does not run here): an OpenID Connect
 * domain given the job's own settings keeps none of the source's, and every other single sign-on domain is turned off.
 */
class OpenSearchSecurityTest {

    private static final String CONFIG = """
            _meta: { type: "config", config_version: 2 }
            config:
              dynamic:
                authc:
                  basic_internal_auth_domain:
                    http_enabled: true
                    transport_enabled: true
                    order: 0
                    http_authenticator: { type: basic, challenge: false }
                    authentication_backend: { type: internal }
                  openid_auth_domain:
                    http_enabled: true
                    transport_enabled: false
                    order: 1
                    http_authenticator:
                      type: openid
                      challenge: false
                      config:
                        openid_connect_url: "https://idp.source.example/.well-known/openid-configuration"
                        roles_key: roles
                        subject_key: preferred_username
                    authentication_backend: { type: noop }
                  saml_auth_domain:
                    http_enabled: true
                    transport_enabled: false
                    order: 2
                    http_authenticator:
                      type: saml
                      challenge: true
                      config:
                        idp: { metadata_url: "https://idp.source.example/metadata", entity_id: "https://idp.source.example" }
                        sp: { entity_id: "https://search.source.example" }
                        exchange_key: source-exchange-key-77c1
                    authentication_backend: { type: noop }
            """;

    @Test
    void anOpenIdDomainGetsTheJobsSettingsAndTheSamlOneIsTurnedOffNoneOfTheSourcesUrlsKept(@TempDir Path directory)
            throws Exception {
        Path backup = directory.resolve("backup");
        Files.createDirectories(backup.resolve("security"));
        Files.writeString(backup.resolve("security/config.yml"), CONFIG);
        Files.writeString(backup.resolve("security/internal_users.yml"), "_meta: { type: \"internalusers\" }\n");
        OpenSearchSecurity security =
                new OpenSearchSecurity(new OpenSearchEngine(new Home(directory), Clock.systemUTC()));
        assertThat(security.singleSignOn(backup))
                .isEqualTo(Map.of("openid_auth_domain", "openid", "saml_auth_domain", "saml"));

        List<String> report = security.writeForFork(
                backup,
                new Place(directory.resolve("fork"), 0, 0),
                true,
                new SingleSignOn(
                        "openid",
                        Map.of(
                                "connect_url",
                                "https://idp.fork.example/.well-known/openid-configuration",
                                "roles_key",
                                "groups")));

        String written = Files.readString(directory.resolve("fork/security/config.yml"));
        assertThat(written).doesNotContain("source.example", "source-exchange-key", "preferred_username");
        Map<String, Object> domains = domains(written);
        assertThat(domains.get("openid_auth_domain").toString())
                .contains("http_enabled=true")
                .contains("config={openid_connect_url=https://idp.fork.example/.well-known/openid-configuration,"
                        + " roles_key=groups}");
        assertThat(domains.get("saml_auth_domain").toString())
                .contains("http_enabled=false", "transport_enabled=false", "config={}");
        assertThat(domains.get("basic_internal_auth_domain").toString()).contains("http_enabled=true");
        assertThat(report)
                .contains(
                        "sso: openid domain openid_auth_domain given the fork's own settings"
                                + " (https://idp.fork.example/.well-known/openid-configuration)",
                        "sso: saml domain saml_auth_domain turned off");
        assertThat(security.singleSignOn(directory.resolve("fork")))
                .as("the fork's own files: only the domain given the fork's settings is on")
                .isEqualTo(Map.of("openid_auth_domain", "openid"));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> domains(String config) {
        Map<String, Object> root = new Yaml().load(config);
        return (Map<String, Object>)
                ((Map<String, Object>) ((Map<String, Object>) root.get("config")).get("dynamic")).get("authc");
    }
}
