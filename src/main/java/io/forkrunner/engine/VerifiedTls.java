package io.forkrunner.engine;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * TLS for forkrunner's own clients that verifies the server: its certificate must be signed by one authority (given as
 * PEM, trusted alone, never the JVM's store) and name the host the client asked for.
 */
public final class VerifiedTls {

    private VerifiedTls() {}

    /**
     * Starts TLS over {@code connected} (a socket connected to {@code host}:{@code port}) and completes the handshake,
     * which fails unless the server's certificate is signed by {@code authority} and names {@code host}.
     */
    public static SSLSocket over(Socket connected, String host, int port, String authority) throws IOException {
        SSLSocket socket = (SSLSocket) context(authority).getSocketFactory().createSocket(connected, host, port, true);
        socket.setSSLParameters(verifying(socket.getSSLParameters(), host));
        socket.startHandshake();
        return socket;
    }

    /** {@code parameters} that verify the server's certificate names {@code host}, and send the name it asked for. */
    public static SSLParameters verifying(SSLParameters parameters, String host) {
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        if (!host.matches("[0-9.]+|.*:.*")) {
            parameters.setServerNames(List.of(new SNIHostName(host)));
        }
        return parameters;
    }

    /** A TLS context that trusts {@code authority} (PEM) alone. */
    public static SSLContext context(String authority) throws IOException {
        return context(authority, false);
    }

    /**
     * A TLS context that trusts {@code authority} (PEM) and the authorities the JVM trusts by default (its {@code
     * cacerts}): for servers whose certificates a browser-recognized authority signs, as those of Aiven's OpenSearch
     * services, while a project's own authority is trusted too.
     */
    public static SSLContext contextAlsoTrustingDefaults(String authority) throws IOException {
        return context(authority, true);
    }

    private static SSLContext context(String authority, boolean defaults) throws IOException {
        try {
            Collection<? extends Certificate> certificates = CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(authority.getBytes(StandardCharsets.US_ASCII)));
            if (certificates.isEmpty()) {
                throw new IOException("the certificate authority given holds no certificate");
            }
            List<Certificate> trustedOnes = new ArrayList<>(certificates);
            if (defaults) {
                TrustManagerFactory jvm = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                jvm.init((KeyStore) null);
                for (TrustManager manager : jvm.getTrustManagers()) {
                    if (manager instanceof X509TrustManager x509) {
                        trustedOnes.addAll(List.of(x509.getAcceptedIssuers()));
                    }
                }
            }
            KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
            trusted.load(null, null);
            int index = 0;
            for (Certificate certificate : trustedOnes) {
                trusted.setCertificateEntry("authority-" + index++, certificate);
            }
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(trusted);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot trust the certificate authority given: " + e.getMessage(), e);
        }
    }
}
