package io.forkrunner.demo;

import io.forkrunner.fork.ForkRecord;
import io.forkrunner.system.ForkrunnerException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.HexFormat;

/**
 * The demo's source: a server of its own under the demo home, made once and reused, with a superuser password and an
 * application login {@code app} whose passwords are kept in 0600 files of the demo home ({@code var/secrets}).
 */
abstract class DemoSource {

    private final Path secrets;
    private final int port;

    DemoSource(Path secrets, int port) {
        this.secrets = secrets;
        this.port = port;
    }

    /** The engine as {@code config/services.yml} names it. */
    abstract String engine();

    /** The engine as the demo prints it. */
    abstract String title();

    /** The lines of the service's declaration after its login and backups (none, or its pools). */
    abstract String serviceExtras();

    /** How the engine's backups are verified, as the demo prints it. */
    abstract String backupCheck();

    /** How the change archive of {@code service} is kept, as the demo prints it. */
    abstract String changeArchive(String service);

    /** The ports of the demo's region, where forks listen: the 80 below the source's first. */
    abstract String regionPorts();

    /** The database {@code shop} and the login {@code app} that owns it, when missing. */
    abstract void createShop() throws SQLException;

    /** {@code app}'s connection to the shop on the source. */
    abstract Connection connectAsApp() throws SQLException;

    /** {@code app}'s connection to the shop on the fork. */
    abstract Connection connectToFork(ForkRecord fork) throws SQLException;

    /** The lines that tell how to connect to the fork as {@code app}. */
    abstract String howToConnect(ForkRecord fork);

    final int port() {
        return port;
    }

    final Path passwordFile(String login) {
        return secrets.resolve(login);
    }

    final String appPassword() {
        return read(passwordFile("app"));
    }

    final String password(String login) {
        return read(passwordFile(login));
    }

    /** New passwords for the superuser ({@code source}) and {@code app}, in 0600 files. */
    static void writePasswords(Path secrets) throws IOException {
        Files.createDirectories(secrets);
        writeSecret(secrets.resolve("source"), newPassword());
        writeSecret(secrets.resolve("app"), newPassword());
    }

    static void writeSecret(Path file, String value) throws IOException {
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, value);
    }

    static String read(Path file) {
        try {
            return Files.readString(file).strip();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** A free port of the 20 from {@code first}. */
    static int freePort(int first) {
        for (int port = first; port < first + 20; port++) {
            try (ServerSocket ignored = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                return port;
            } catch (IOException taken) {
                // next one
            }
        }
        throw new ForkrunnerException("no free port in " + first + "-" + (first + 19) + " for the demo source");
    }

    private static String newPassword() {
        byte[] bytes = new byte[12];
        new SecureRandom().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }
}
