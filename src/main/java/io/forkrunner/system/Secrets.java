package io.forkrunner.system;

import java.util.List;
import java.util.Map;

/** Resolves secret references of one home at the moment they are needed. */
public final class Secrets {

    private final Home home;
    private final Map<String, String> environment;

    public Secrets(Home home, Map<String, String> environment) {
        this.home = home;
        this.environment = Map.copyOf(environment);
    }

    public Secret resolve(SecretRef reference) {
        SecretRef.Resolution resolution = reference.resolve(home, environment);
        if (!resolution.found()) {
            throw new BadInputException(new Problem(
                    "(secret)",
                    0,
                    "reference",
                    reference.toString(),
                    "cannot be resolved: " + resolution.missing(),
                    List.of()));
        }
        return resolution.secret();
    }
}
