package io.forkrunner.provision;

import io.forkrunner.definition.Region;
import io.forkrunner.system.ForkrunnerException;

/** Every port of a region's range is reserved or in use. */
public class NoFreePortException extends ForkrunnerException {

    public NoFreePortException(Region region) {
        super(
                "region " + region.name() + " has no free port in " + region.ports()
                        + ": drop forks there (forkrunner forks, forkrunner drop FORK) or widen its ports in config/services.yml");
    }
}
