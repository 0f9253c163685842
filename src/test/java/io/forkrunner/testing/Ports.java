package io.forkrunner.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * Where tests get TCP ports: every port a test listens on, lets listen or declares (a region's {@code ports:}, a
 * service, a webhook receiver) comes from here. A port handed out is never handed out again in this JVM, and was free
 * on 127.0.0.1 when handed out. The test classes run in several JVMs at once (surefire's forks): each takes ports from
 * its own window of 20000-31999, chosen by its fork number ({@code forkrunner.test.fork}), so no two JVMs hand out
 * the same port. The windows lie below the kernel's ephemeral ports (from 32768) and away from the services the test
 * machines run (PostgreSQL on 5432 and the like); a port something else holds there fails the probe and is skipped.
 */
public final class Ports {

    /** Four windows of 3,000 ports: surefire runs at most four forks (pom.xml). */
    private static final int WINDOW = 3000;

    private static final int WINDOWS = 4;
    /** The fork this JVM is, from 1 (surefire's {@code surefire.forkNumber}); 1 outside surefire. */
    private static final int FORK = Integer.parseInt(System.getProperty("forkrunner.test.fork", "1"));

    private static final int FIRST = 20000 + window(FORK) * WINDOW;
    private static final int LAST = FIRST + WINDOW - 1;

    /** The lowest port not handed out yet. */
    private static int next = FIRST;

    private Ports() {}

    /** A contiguous range of ports, {@code first} to {@code last} inclusive. */
    public record Range(int first, int last) {

        /** The range as a region's {@code ports:} in services.yml takes it: {@code first-last}. */
        public String yaml() {
            return first + "-" + last;
        }
    }

    private static int window(int fork) {
        if (fork < 1 || fork > WINDOWS) {
            throw new IllegalStateException(
                    "forkrunner.test.fork is " + fork + ", but the ports have windows for forks 1" + " to " + WINDOWS
                            + " only: run at most " + WINDOWS + " surefire forks");
        }
        return fork - 1;
    }

    /** One port, free now and never handed out before. */
    public static synchronized int one() {
        return range(1).first();
    }

    /** {@code count} contiguous ports, each free now and never handed out before. */
    public static synchronized Range range(int count) {
        if (count < 1) {
            throw new IllegalArgumentException("a range has at least one port, not " + count);
        }
        int first = next;
        for (int port = next; port <= LAST; port++) {
            if (!free(port)) {
                first = port + 1;
            } else if (port - first + 1 == count) {
                next = port + 1;
                return new Range(first, port);
            }
        }
        throw new IllegalStateException("no " + count + " free ports in a row left in " + FIRST + "-" + LAST);
    }

    /** Whether a socket can bind {@code port} on 127.0.0.1 without SO_REUSEADDR (so a port in TIME_WAIT is not free). */
    private static boolean free(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(false);
            socket.bind(new InetSocketAddress("127.0.0.1", port), 1);
            return true;
        } catch (IOException taken) {
            return false;
        }
    }

    /** Whether something on 127.0.0.1 takes connections on {@code port}. */
    public static boolean answers(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
