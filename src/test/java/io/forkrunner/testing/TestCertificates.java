package io.forkrunner.testing;

import io.forkrunner.system.Command;
import io.forkrunner.system.ProcessRunner;
import io.forkrunner.system.ServiceUser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/** Self-signed TLS certificates for servers of the tests, made with openssl: each its own authority, naming one host. */
public final class TestCertificates {

    private TestCertificates() {}

    /**
     * @param certificate the certificate's file
     * @param key its private key's file
     * @param pem the certificate's text, which is also the authority a client verifies it against
     */
    public record Certificate(Path certificate, Path key, String pem) {}

    /**
     * A certificate for {@code host} (its subject and its alternative name: an IP address or a DNS name) and its key,
     * written as {@code directory}'s {@code server.crt} and {@code server.key}, replacing what is there: by the service
     * user when {@code asServiceUser} (PostgreSQL wants its key the server's own and private), else by this process and
     * readable by all (a server of another user reads it).
     */
    public static Certificate selfSigned(Path directory, String host, boolean asServiceUser) {
        Path certificate = directory.resolve("server.crt");
        Path key = directory.resolve("server.key");
        try {
            if (!asServiceUser) {
                Files.createDirectories(directory);
                Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
            Command openssl = Command.of(
                            "openssl",
                            "req",
                            "-x509",
                            "-newkey",
                            "rsa:2048",
                            "-nodes",
                            "-days",
                            "2",
                            "-subj",
                            "/CN=" + host,
                            "-addext",
                            "subjectAltName=" + (host.matches("[0-9.]+") ? "IP:" : "DNS:") + host,
                            "-keyout",
                            key.toString(),
                            "-out",
                            certificate.toString())
                    .loggingTo(directory.resolve("openssl.log"));
            new ProcessRunner(ServiceUser.detect()).run(asServiceUser ? openssl.asServiceUser() : openssl);
            if (!asServiceUser) {
                Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
                Files.setPosixFilePermissions(certificate, PosixFilePermissions.fromString("rw-r--r--"));
            }
            return new Certificate(certificate, key, Files.readString(certificate));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
