package io.forkrunner.provision;

import io.forkrunner.definition.Names;
import io.forkrunner.definition.Region;
import io.forkrunner.system.Secret;
import java.util.Map;
import java.util.Objects;

/**
 * What instance to create.
 *
 * @param engine the engine whose server it is, as services declare it, e.g. {@code postgresql}
 * @param superuserPassword the password of the server's superuser; null for trust on 127.0.0.1
 * @param settings server settings beyond the port and listen address
 */
public record InstanceSpec(
        String name,
        String engine,
        Region region,
        int version,
        Secret superuserPassword,
        Map<String, String> settings) {

    public InstanceSpec {
        Names.require(name, "instance");
        Objects.requireNonNull(engine, "engine");
        Objects.requireNonNull(region, "region");
        settings = Map.copyOf(settings);
    }
}
