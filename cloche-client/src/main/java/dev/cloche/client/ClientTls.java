package dev.cloche.client;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * TLS to a Garden server's TCP listener: whom to trust ({@code ca}, PEM; empty = the JDK's default trust store) and,
 * for mutual TLS, the client's certificate chain and unencrypted PKCS#8 key (PEM). The server's name is verified
 * against its certificate as HTTPS does (host name or IP address in the subject alternative names).
 */
public record ClientTls(Optional<Path> ca, Optional<Path> certificate, Optional<Path> privateKey) {
    /** TLS trusting the JDK's default CAs, no client certificate. */
    public static final ClientTls DEFAULT_TRUST = new ClientTls(Optional.empty(), Optional.empty(), Optional.empty());

    public ClientTls {
        Objects.requireNonNull(ca, "ca");
        Objects.requireNonNull(certificate, "certificate");
        Objects.requireNonNull(privateKey, "privateKey");
        if (certificate.isPresent() != privateKey.isPresent()) {
            throw new IllegalArgumentException("a client certificate needs its key and a key its certificate (--cert with --key)");
        }
    }

    /** TLS trusting only the CA certificates in {@code caFile}. */
    public static ClientTls trusting(Path caFile) {
        return new ClientTls(Optional.of(caFile), Optional.empty(), Optional.empty());
    }

    /** This TLS, also presenting {@code certificate} (with {@code privateKey}) to a server that asks for one. */
    public ClientTls withClientCertificate(Path certificate, Path privateKey) {
        return new ClientTls(ca, Optional.of(certificate), Optional.of(privateKey));
    }
}
