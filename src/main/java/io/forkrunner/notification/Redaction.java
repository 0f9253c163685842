package io.forkrunner.notification;

import io.forkrunner.definition.Definitions;
import io.forkrunner.definition.LiveDefinitions;
import io.forkrunner.definition.Region;
import io.forkrunner.definition.ServiceDefinition;
import io.forkrunner.definition.Settings;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.SecretRef;
import io.forkrunner.system.Secrets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import org.springframework.stereotype.Component;

/**
 * Hides every secret the definitions know (services' passwords, the metadata store's, API tokens) in text that leaves
 * forkrunner. Payloads are built from names, ids and times only; this is for error texts, which quote what failed.
 */
@Component
class Redaction {

    static final String HIDDEN = "******";

    private final LiveDefinitions definitions;
    private final Secrets secrets;

    Redaction(LiveDefinitions definitions, Secrets secrets) {
        this.definitions = definitions;
        this.secrets = secrets;
    }

    String scrub(String text) {
        if (text == null) {
            return null;
        }
        String scrubbed = text;
        for (String secret : knownSecrets()) {
            scrubbed = scrubbed.replace(secret, HIDDEN);
        }
        return scrubbed;
    }

    /** The values of the secrets the definitions refer to, longest first (so a secret inside another goes too). */
    private List<String> knownSecrets() {
        Definitions current = definitions.current();
        List<SecretRef> references = new ArrayList<>();
        references.add(current.settings().metadata().password());
        current.settings().api().tokens().stream().map(Settings.Token::secret).forEach(references::add);
        current.services().values().stream().map(ServiceDefinition::password).forEach(references::add);
        current.regions().values().stream()
                .filter(Region::onAiven)
                .map(region -> region.aiven().token())
                .forEach(references::add);
        return references.stream()
                .filter(Objects::nonNull)
                .map(this::reveal)
                .filter(value -> value != null && !value.isEmpty())
                .distinct()
                .sorted(Comparator.comparingInt(String::length).reversed())
                .toList();
    }

    private String reveal(SecretRef reference) {
        try {
            return secrets.resolve(reference).reveal();
        } catch (ForkrunnerException e) {
            return null; // a secret that cannot be resolved is in no text either
        }
    }
}
