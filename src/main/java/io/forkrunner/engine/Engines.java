package io.forkrunner.engine;

import io.forkrunner.definition.ServiceDefinition;
import io.forkrunner.system.BadInputException;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.Problem;
import java.util.List;
import org.springframework.stereotype.Component;

/** The engine adapters, found by the name a service declares. */
@Component
public class Engines {

    private final List<Engine> engines;

    Engines(List<Engine> engines) {
        this.engines = List.copyOf(engines);
    }

    public Engine named(String name) {
        return engines.stream()
                .filter(engine -> engine.name().equals(name))
                .findFirst()
                .orElseThrow(() -> new ForkrunnerException("no adapter for engine " + name));
    }

    public Engine of(ServiceDefinition service) {
        if (service.onAiven()) {
            throw new BadInputException(new Problem(
                    "config/services.yml",
                    0,
                    "services." + service.name(),
                    service.name(),
                    "is a service on Aiven (type " + service.aiven().type() + "), which keeps its backups and is"
                            + " forked through the Aiven API by jobs; forkrunner does not back it up, rename it or"
                            + " connect to it",
                    List.of()));
        }
        return engines.stream()
                .filter(engine -> engine.name().equals(service.engine()))
                .findFirst()
                .orElseThrow(() -> new ForkrunnerException(
                        "no adapter for engine " + service.engine() + " of service " + service.name()));
    }
}
