package io.forkrunner.engine.cassandra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.Secret;
import io.forkrunner.testing.Ports;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node that stops answering its JMX never holds forkrunner up: the connection and each call fail within their limit,
 * naming the node and what was asked; a JMX that asks for a login gets the service's. The nodes here are real: a port
 * that takes connections and never answers, and JVMs with the JDK's JMX agent on, one stopped (SIGSTOP) once
 * connected, one checking logins against a password file as Cassandra's remote JMX does.
 */
class CassandraJmxTest {

    /** Long enough for a JVM on a loaded machine to connect and answer; a hung one never does. */
    private static final Duration LIMIT = Duration.ofSeconds(10);
    /** Far beyond the limit: a call still waiting then would wait for ever. */
    private static final Duration HUNG = Duration.ofMinutes(1);

    @Test
    void aJmxPortThatTakesConnectionsButNeverAnswersFailsTheConnectionWithinItsLimit() throws Exception {
        int port = Ports.one();
        try (ServerSocket silent = new ServerSocket(port, 50, InetAddress.getLoopbackAddress())) {
            assertTimeoutPreemptively(
                    HUNG,
                    () -> assertThatThrownBy(
                                    () -> CassandraJmx.connect("127.0.0.1", port, "node 127.0.0.1", null, LIMIT, LIMIT))
                            .isInstanceOf(ForkrunnerException.class)
                            .hasMessageContaining(
                                    "cannot reach the JMX of node 127.0.0.1 on 127.0.0.1:" + port,
                                    "no answer within " + LIMIT.toSeconds() + " s"));
        }
    }

    @Test
    void aNodeStoppedOnceConnectedFailsTheNextCallWithinItsLimit(@TempDir Path directory) throws Exception {
        int port = Ports.one();
        Process node = idleJvm(directory, port, List.of("-Dcom.sun.management.jmxremote.authenticate=false"));
        try {
            try (CassandraJmx jmx = CassandraJmx.connect("127.0.0.1", port, "node 127.0.0.1", null, LIMIT, LIMIT)) {
                // it answers: a JVM that is no Cassandra node has no StorageService
                assertThatThrownBy(jmx::operationMode)
                        .hasMessageContaining("read the operation mode on node 127.0.0.1", "StorageService");

                signal("STOP", node);
                assertTimeoutPreemptively(
                        HUNG,
                        () -> assertThatThrownBy(jmx::operationMode)
                                .isInstanceOf(ForkrunnerException.class)
                                .hasMessageContaining(
                                        "cannot read the operation mode on node 127.0.0.1",
                                        "no answer within " + LIMIT.toSeconds() + " s"));
            }
        } finally {
            signal("CONT", node);
            end(node);
        }
    }

    @Test
    void aJmxThatAsksForALoginIsReachedWithTheServicesAndRefusesNoneOrAWrongOneSayingSo(@TempDir Path directory)
            throws Exception {
        int port = Ports.one();
        Path passwords = Files.writeString(directory.resolve("jmxremote.password"), "forkrunner Jmx-pw-9d3e\n");
        Files.setPosixFilePermissions(passwords, PosixFilePermissions.fromString("rw-------"));
        Path access = Files.writeString(directory.resolve("jmxremote.access"), "forkrunner readonly\n");
        Process node = idleJvm(
                directory,
                port,
                List.of(
                        "-Dcom.sun.management.jmxremote.authenticate=true",
                        "-Dcom.sun.management.jmxremote.password.file=" + passwords,
                        "-Dcom.sun.management.jmxremote.access.file=" + access));
        try {
            assertThatThrownBy(
                            () -> CassandraJmx.connect("127.0.0.1", port, "node 127.0.0.1 of ring", null, LIMIT, LIMIT))
                    .isInstanceOf(ForkrunnerException.class)
                    .hasMessageContaining(
                            "cannot reach the JMX of node 127.0.0.1 of ring on 127.0.0.1:" + port + ": it asks for a"
                                    + " login",
                            "declare the service's jmx: { user, password }");
            CassandraJmx.Login wrong = new CassandraJmx.Login("forkrunner", new Secret("Not-the-pw-41c"));
            assertThatThrownBy(() ->
                            CassandraJmx.connect("127.0.0.1", port, "node 127.0.0.1 of ring", wrong, LIMIT, LIMIT))
                    .isInstanceOf(ForkrunnerException.class)
                    .hasMessageContaining("it refused the login of JMX user forkrunner")
                    .message()
                    .doesNotContain("Not-the-pw-41c");

            CassandraJmx.Login right = new CassandraJmx.Login("forkrunner", new Secret("Jmx-pw-9d3e"));
            try (CassandraJmx jmx =
                    CassandraJmx.connect("127.0.0.1", port, "node 127.0.0.1 of ring", right, LIMIT, LIMIT)) {
                // logged in, it answers: a JVM that is no Cassandra node has no StorageService
                assertThatThrownBy(jmx::operationMode)
                        .hasMessageContaining("read the operation mode on node 127.0.0.1 of ring", "StorageService");
            }
        } finally {
            end(node);
        }
    }

    /** A JVM that does nothing, with JMX on {@code port} as {@code options} say, once its JMX listens. */
    private static Process idleJvm(Path directory, int port, List<String> options) throws Exception {
        Path idle = directory.resolve("Idle.java");
        Files.writeString(idle, """
                class Idle {
                    public static void main(String[] arguments) throws Exception {
                        System.out.println("idle");
                        Thread.sleep(Long.MAX_VALUE);
                    }
                }
                """);
        List<String> argv = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dcom.sun.management.jmxremote.port=" + port,
                "-Dcom.sun.management.jmxremote.rmi.port=" + port,
                "-Dcom.sun.management.jmxremote.host=127.0.0.1",
                "-Djava.rmi.server.hostname=127.0.0.1",
                "-Dcom.sun.management.jmxremote.ssl=false"));
        argv.addAll(options);
        argv.add(idle.toString());
        Process node = new ProcessBuilder(argv).redirectErrorStream(true).start();
        BufferedReader output =
                new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8));
        String first = output.readLine();
        if (!"idle".equals(first)) {
            end(node);
        }
        assertThat(first).as("the JVM started and its JMX listens").isEqualTo("idle");
        return node;
    }

    private static void end(Process node) throws Exception {
        node.destroyForcibly();
        node.waitFor(1, TimeUnit.MINUTES);
    }

    private static void signal(String signal, Process process) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, String.valueOf(process.pid()))
                .inheritIO()
                .start();
        assertThat(kill.waitFor()).isZero();
    }
}
