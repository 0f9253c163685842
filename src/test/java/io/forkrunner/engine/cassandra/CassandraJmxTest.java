package io.forkrunner.engine.cassandra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.testing.Ports;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node that stops answering its JMX never holds forkrunner up: the connection and each call fail within their limit,
 * naming the node and what was asked. The nodes here are real: a port that takes connections and never answers, and a
 * JVM with JMX on whose process is stopped (SIGSTOP) once connected.
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
                                    () -> CassandraJmx.connect("127.0.0.1", port, "node 127.0.0.1", LIMIT, LIMIT))
                            .isInstanceOf(ForkrunnerException.class)
                            .hasMessageContaining(
                                    "cannot reach the JMX of node 127.0.0.1 on 127.0.0.1:" + port,
                                    "no answer within " + LIMIT.toSeconds() + " s"));
        }
    }

    @Test
    void aNodeStoppedOnceConnectedFailsTheNextCallWithinItsLimit(@TempDir Path directory) throws Exception {
        int port = Ports.one();
        Path idle = directory.resolve("Idle.java");
        Files.writeString(idle, """
                class Idle {
                    public static void main(String[] arguments) throws Exception {
                        System.out.println("idle");
                        Thread.sleep(Long.MAX_VALUE);
                    }
                }
                """);
        Process node = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-Dcom.sun.management.jmxremote.port=" + port,
                        "-Dcom.sun.management.jmxremote.rmi.port=" + port,
                        "-Dcom.sun.management.jmxremote.host=127.0.0.1",
                        "-Djava.rmi.server.hostname=127.0.0.1",
                        "-Dcom.sun.management.jmxremote.authenticate=false",
                        "-Dcom.sun.management.jmxremote.ssl=false",
                        idle.toString())
                .redirectErrorStream(true)
                .start();
        try {
            BufferedReader output =
                    new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8));
            assertThat(output.readLine())
                    .as("the JVM started and its JMX listens")
                    .isEqualTo("idle");
            try (CassandraJmx jmx = CassandraJmx.connect("127.0.0.1", port, "node 127.0.0.1", LIMIT, LIMIT)) {
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
            node.destroyForcibly();
            node.waitFor(1, TimeUnit.MINUTES);
        }
    }

    private static void signal(String signal, Process process) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, String.valueOf(process.pid()))
                .inheritIO()
                .start();
        assertThat(kill.waitFor()).isZero();
    }
}
