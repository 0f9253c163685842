package io.forkrunner.testing;

import io.forkrunner.system.ChildProcess;
import io.forkrunner.system.Command;
import io.forkrunner.system.ProcessRunner;
import io.forkrunner.system.ServiceUser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.awaitility.Awaitility;

/**
 * A real nginx in front of a server of the tests, as a search service on Aiven answers: HTTPS with a certificate of
 * the test's, one user's basic authentication (others get 401), every request passed to the server over HTTP. Its
 * binary is unpacked from Debian's nginx package by run-tests ({@code target/nginx}); nothing is installed as a service.
 */
public final class TlsFront implements AutoCloseable {

    /** Where run-tests unpacks Debian's nginx package. */
    private static final Path NGINX = Path.of("target/nginx/usr/sbin/nginx");

    private final ChildProcess nginx;
    private final int port;

    private TlsFront(ChildProcess nginx, int port) {
        this.nginx = nginx;
        this.port = port;
    }

    /**
     * Starts nginx in {@code directory} on a free port of 127.0.0.1, presenting {@code certificate} and letting {@code
     * user} with {@code password} through to the HTTP server on 127.0.0.1:{@code server}.
     */
    public static TlsFront start(
            Path directory, TestCertificates.Certificate certificate, String user, String password, int server) {
        if (!Files.isExecutable(NGINX)) {
            throw new IllegalStateException(
                    "no " + NGINX.toAbsolutePath() + ": run-tests unpacks Debian's nginx there");
        }
        int port = Ports.one();
        try {
            Files.createDirectories(directory.resolve("temporary"));
            Files.writeString(directory.resolve("users"), user + ":{PLAIN}" + password + "\n");
            Files.writeString(directory.resolve("nginx.conf"), """
                    daemon off;
                    pid %1$s/nginx.pid;
                    error_log %1$s/error.log;
                    events { worker_connections 64; }
                    http {
                      access_log off;
                      client_body_temp_path %1$s/temporary/body;
                      proxy_temp_path %1$s/temporary/proxy;
                      fastcgi_temp_path %1$s/temporary/fastcgi;
                      uwsgi_temp_path %1$s/temporary/uwsgi;
                      scgi_temp_path %1$s/temporary/scgi;
                      server {
                        listen 127.0.0.1:%2$d ssl;
                        ssl_certificate %3$s;
                        ssl_certificate_key %4$s;
                        auth_basic "fork";
                        auth_basic_user_file %1$s/users;
                        location / {
                          proxy_pass http://127.0.0.1:%5$d;
                          proxy_request_buffering off;
                          proxy_buffering off;
                        }
                      }
                    }
                    """.formatted(
                            directory.toAbsolutePath(), port, certificate.certificate(), certificate.key(), server));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ChildProcess nginx = new ProcessRunner(ServiceUser.detect())
                .start(Command.of(
                                NGINX.toAbsolutePath().toString(),
                                "-p",
                                directory.toAbsolutePath().toString(),
                                "-e",
                                directory.resolve("error.log").toAbsolutePath().toString(),
                                "-c",
                                directory.resolve("nginx.conf").toAbsolutePath().toString())
                        .loggingTo(directory.resolve("nginx.log")));
        TlsFront front = new TlsFront(nginx, port);
        try {
            Awaitility.await("nginx answering on port " + port)
                    .atMost(Duration.ofSeconds(60))
                    .until(() -> {
                        if (!nginx.isAlive()) {
                            throw new IllegalStateException(
                                    "nginx ended: " + Files.readString(directory.resolve("error.log")));
                        }
                        return Ports.answers(port);
                    });
            return front;
        } catch (RuntimeException e) {
            front.close();
            throw e;
        }
    }

    public int port() {
        return port;
    }

    @Override
    public void close() {
        nginx.end();
    }
}
