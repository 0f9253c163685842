package io.forkrunner.definition;

import java.nio.file.Path;
import java.util.Objects;

/** A place where services and forks run; its provisioner creates instances there. */
public record Region(String name, String provisioner, Path root, PortRange ports) {

    public Region {
        Names.require(name, "region");
        Objects.requireNonNull(provisioner, "provisioner");
        Objects.requireNonNull(root, "root");
        Objects.requireNonNull(ports, "ports");
    }
}
