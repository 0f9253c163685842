package io.forkrunner.engine.cassandra;

import io.forkrunner.engine.Endpoint;
import io.forkrunner.system.Command;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.ProcessRunner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Cassandra's bulk loader ({@code sstableloader}, the home's {@code org.apache.cassandra.tools.BulkLoader}) in a child
 * JVM of its own, as the service user: it reads a directory of one table's sstables and streams each row to the nodes
 * of a cluster that own its token, whatever node the files came from. How a fork gets more nodes than its source. The
 * loader logs in from a file of the service user's (through the home's {@code PassfileAuthProvider}), never from its
 * command line.
 */
final class CassandraLoader {

    private static final String BULK_LOADER = "org.apache.cassandra.tools.BulkLoader";
    private static final String LOGIN_PROVIDER = "io.forkrunner.cassandra.PassfileAuthProvider";
    private static final String LOGIN_PROPERTY = "forkrunner.passfile";

    private final ProcessRunner runner;

    CassandraLoader(ProcessRunner runner) {
        this.runner = runner;
    }

    /**
     * Streams the sstables in {@code table} ({@code .../KEYSPACE/TABLE}, as the loader reads the table from the path)
     * to the cluster of {@code addresses}, each listening for CQL on {@code nativePort} and for other nodes on
     * {@code storagePort}, logged in as {@code login}, whose role and password are written for the loader alone to
     * {@code loginFile} and removed again.
     *
     * @param work a directory of the service user's for the loader's temporary files
     * @param logging the loader's logging configuration (logback)
     */
    void load(
            Path table,
            List<String> addresses,
            int nativePort,
            int storagePort,
            Endpoint login,
            Path loginFile,
            Path work,
            Path logging,
            Path log) {
        runner.serviceUser()
                .write(
                        loginFile,
                        login.user() + "\n"
                                + (login.password() == null
                                        ? ""
                                        : login.password().reveal()));
        try {
            List<String> argv = new ArrayList<>(CassandraNode.tool(
                    List.of(
                            "-D" + LOGIN_PROPERTY + "=" + loginFile.toAbsolutePath(),
                            "-Djava.io.tmpdir=" + work.toAbsolutePath(),
                            "-Dcassandra.storagedir=" + work.toAbsolutePath(),
                            "-Dlogback.configurationFile=" + logging.toAbsolutePath()),
                    BULK_LOADER));
            argv.addAll(List.of(
                    "--nodes",
                    String.join(",", addresses),
                    "--port",
                    String.valueOf(nativePort),
                    "--storage-port",
                    String.valueOf(storagePort),
                    "--auth-provider",
                    LOGIN_PROVIDER,
                    "--no-progress",
                    table.toAbsolutePath().toString()));
            runner.run(Command.of(argv).asServiceUser().loggingTo(log));
        } catch (ForkrunnerException e) {
            throw new ForkrunnerException(
                    "the bulk loader could not load " + table + " into the cluster at " + addresses + ": "
                            + e.getMessage(),
                    e);
        } finally {
            try {
                Files.deleteIfExists(loginFile);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot remove the bulk loader's login " + loginFile, e);
            }
        }
    }
}
