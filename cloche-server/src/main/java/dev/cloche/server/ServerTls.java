package dev.cloche.server;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.SSLException;

/**
 * HTTPS on the server's TCP listener: its certificate chain and private key (PEM files; the key unencrypted
 * PKCS#8, {@code BEGIN PRIVATE KEY}, as {@code openssl genpkey} and {@code openssl req -newkey} write it), and
 * optionally the CA whose certificates clients must present (mutual TLS: a client without one, or with one from
 * another CA, fails the handshake and never sends a request). Served by Netty's {@code SslHandler} on the JDK's
 * TLS provider, TLS 1.2 and 1.3.
 */
public record ServerTls(Path certificate, Path privateKey, Optional<Path> clientCa) {
    public ServerTls {
        Objects.requireNonNull(certificate, "certificate");
        Objects.requireNonNull(privateKey, "privateKey");
        Objects.requireNonNull(clientCa, "clientCa");
    }

    public static ServerTls of(Path certificate, Path privateKey) {
        return new ServerTls(certificate, privateKey, Optional.empty());
    }

    /** This TLS, also requiring a client certificate issued by the CA(s) in {@code caFile} (PEM). */
    public ServerTls requiringClientCertificatesFrom(Path caFile) {
        return new ServerTls(certificate, privateKey, Optional.of(caFile));
    }

    /** The context every TCP connection's handler is made from; a bad file is a configuration error, said now. */
    public SslContext context() {
        SslContextBuilder b = SslContextBuilder.forServer(certificate.toFile(), privateKey.toFile())
                .sslProvider(SslProvider.JDK).protocols("TLSv1.3", "TLSv1.2");
        clientCa.ifPresent(ca -> b.trustManager(ca.toFile()).clientAuth(ClientAuth.REQUIRE));
        try {
            return b.build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot use the TLS certificate " + certificate + " with key " + privateKey
                    + clientCa.map(ca -> " and client CA " + ca).orElse("") + ": " + e.getMessage(), e);
        }
    }
}
