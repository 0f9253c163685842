package io.forkrunner.engine;

import io.forkrunner.definition.ServiceDefinition;
import java.util.List;

/** The connection pools of a fork: a pooler listening on {@code port} in front of it with the source's pools. */
public record Pools(int port, List<ServiceDefinition.Pool> pools) {}
