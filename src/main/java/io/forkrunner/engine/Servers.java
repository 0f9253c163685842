package io.forkrunner.engine;

import io.forkrunner.system.Secret;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/** An engine's server processes on this host, as a provisioner makes, starts and stops them. */
public interface Servers {

    /** Makes {@code directory} (an instance's) private to the OS user this engine's servers run as. */
    void makeDirectory(Path directory);

    /** Whether a server of major {@code version} can run here; the message of what can when not. */
    Optional<String> cannotRun(int version);

    /**
     * Makes an empty server at {@code place} (its directory exists, owned by the service user), listening on its port
     * on 127.0.0.1, with {@code settings}; its superuser has {@code superuserPassword}, or none for trust on 127.0.0.1.
     */
    void initialize(Place place, Secret superuserPassword, Map<String, String> settings);

    void start(Place place);

    /** Stops the server at {@code place}; nothing when it does not run. */
    void stop(Place place);

    boolean running(Place place);
}
