package io.forkrunner.engine;

import io.forkrunner.definition.ServiceDefinition;
import java.nio.file.Path;
import java.util.Optional;

/** An engine's base backups: every engine forks from one, so every engine has this facet. */
public interface Backups {

    /**
     * Takes a base backup of the service into {@code directory} (which must not exist), verifies it, and describes
     * it. Output of the tools goes to {@code log}.
     */
    BaseBackup take(ServiceDefinition service, Endpoint source, Path directory, Path log);

    /**
     * Checks a base backup in {@code directory} against the checksums it was taken with, reading every byte of it. What
     * is wrong, naming the files, or empty when the backup is whole.
     */
    Optional<String> verify(Path directory);

    /**
     * What can be told wrong of a backup in {@code directory} without reading every byte of it, e.g. a file missing or
     * of another size than the backup recorded; empty when nothing is. {@link #verify} reads the rest, while the backup
     * is laid down.
     */
    default Optional<String> verifyWithoutChecksums(Path directory) {
        return Optional.empty();
    }

    /** The major version of the server a backup in {@code directory} was taken from. */
    int majorVersion(Path directory);

    /**
     * Why no fork of the backup in {@code directory} can be made here, e.g. its source had more nodes than a fork of
     * forkrunner's has or than the job's {@code nodes} (null: as many as the source had); empty when one can.
     */
    default Optional<String> cannotFork(Path directory, Integer nodes) {
        return Optional.empty();
    }

    /**
     * Gives up the backup in {@code directory} before forkrunner deletes that directory, where the source keeps
     * something of it (a snapshot in a repository the source writes): through the source, never by deleting files.
     */
    default void discard(ServiceDefinition service, Endpoint source, Path directory) {}
}
