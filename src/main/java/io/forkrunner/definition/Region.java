package io.forkrunner.definition;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A place where services and forks run; its provisioner creates instances there.
 *
 * @param root where forkrunner keeps the region's instances (on Aiven: its own files about the region)
 * @param ports the ports of the region's instances; null on Aiven, which gives each service its own address
 * @param aiven the Aiven project and API of a region whose provisioner is {@code aiven}; null otherwise
 */
public record Region(String name, String provisioner, Path root, PortRange ports, AivenAccount aiven) {

    public Region {
        Names.require(name, "region");
        Objects.requireNonNull(provisioner, "provisioner");
        Objects.requireNonNull(root, "root");
        if (aiven == null) {
            Objects.requireNonNull(ports, "ports");
        }
    }

    /** A region of instances forkrunner runs itself. */
    public Region(String name, String provisioner, Path root, PortRange ports) {
        this(name, provisioner, root, ports, null);
    }

    public boolean onAiven() {
        return aiven != null;
    }
}
