package io.forkrunner.provision;

import io.forkrunner.definition.Names;
import io.forkrunner.definition.Region;
import io.forkrunner.system.Secret;
import java.util.Map;
import java.util.Objects;

/**
 * What instance to create.
 *
 * @param superuserPassword the password of the superuser {@code postgres}; null for trust on 127.0.0.1
 * @param settings server settings beyond the port and listen address, e.g. {@code wal_level}
 */
public record InstanceSpec(
        String name, Region region, int version, Secret superuserPassword, Map<String, String> settings) {

    public InstanceSpec {
        Names.require(name, "instance");
        Objects.requireNonNull(region, "region");
        settings = Map.copyOf(settings);
    }
}
