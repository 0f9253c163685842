package io.forkrunner.engine;

import io.forkrunner.system.ChildProcess;
import java.util.OptionalLong;

/** The process that keeps a service's archive current: started, and restarted when it dies, by a supervisor. */
public interface ArchiveStream extends AutoCloseable {

    /** Prepares what the stream needs on the source (a replication slot) and starts the streaming process. */
    ChildProcess start();

    /** How many bytes of changes the source has that the archive has not confirmed; empty when unknown. */
    OptionalLong lagBytes();

    /** Releases what {@link #start()} set up for one process (its passfile). */
    @Override
    void close();
}
