package io.forkrunner.engine;

import java.nio.file.Path;

/** Where an instance of an engine lives and listens: its directory, its port on 127.0.0.1, its major version. */
public record Place(Path directory, int port, int version) {}
