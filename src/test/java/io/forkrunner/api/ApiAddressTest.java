package io.forkrunner.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.forkrunner.testing.TestHome;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** {@code serve} listens on loopback only, unless {@code api.address} says otherwise. */
class ApiAddressTest {

    @Test
    void byDefaultAConnectionToANonLoopbackAddressIsRefused() throws Exception {
        InetAddress outside = nonLoopbackAddress();
        try (TestHome home = TestHome.create("api-address")) {
            int port = serve(home, "serve");

            assertThatThrownBy(() -> connect(outside, port))
                    .as("connecting to " + outside.getHostAddress() + ":" + port)
                    .isInstanceOf(ConnectException.class);
            connect(InetAddress.getLoopbackAddress(), port); // loopback answers
            assertThat(home.read("var/log/serve.out")).contains("dashboard on http://127.0.0.1:" + port + "/");
        }
    }

    @Test
    void withApiAddressAllZerosItListensOnEveryAddress() throws Exception {
        InetAddress outside = nonLoopbackAddress();
        try (TestHome home = TestHome.create("api-address-any")) {
            home.write(
                    "config/forkrunner.yml",
                    home.read("config/forkrunner.yml").replace("api:\n", "api:\n  address: 0.0.0.0\n"));
            int port = serve(home, "serve");

            connect(outside, port);
            connect(InetAddress.getLoopbackAddress(), port);
        }
    }

    /** Starts serve and returns the port it logs. */
    private static int serve(TestHome home, String name) {
        home.start(name, Map.of(), "serve");
        String log = await().atMost(Duration.ofSeconds(90))
                .ignoreExceptions()
                .until(() -> home.read("var/log/" + name + ".out"), text -> text.contains("dashboard on http://"));
        Matcher port = Pattern.compile("dashboard on http://[^/]+:(\\d+)/").matcher(log);
        assertThat(port.find()).as(log).isTrue();
        return Integer.parseInt(port.group(1));
    }

    private static void connect(InetAddress address, int port) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(address, port), 10_000);
        }
    }

    /** An IPv4 address of this machine's interfaces other than loopback; the test is skipped when it has none. */
    private static InetAddress nonLoopbackAddress() throws SocketException {
        Optional<InetAddress> found = Collections.list(NetworkInterface.getNetworkInterfaces()).stream()
                .filter(ApiAddressTest::up)
                .flatMap(network -> Collections.list(network.getInetAddresses()).stream())
                .filter(address -> address instanceof Inet4Address && !address.isLoopbackAddress())
                .findFirst();
        Assumptions.assumeTrue(
                found.isPresent(), "this machine has no non-loopback IPv4 address to connect to: nothing to show");
        return found.get();
    }

    private static boolean up(NetworkInterface network) {
        try {
            return network.isUp() && !network.isLoopback();
        } catch (SocketException e) {
            return false;
        }
    }
}
