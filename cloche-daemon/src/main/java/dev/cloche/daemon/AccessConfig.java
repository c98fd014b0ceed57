package dev.cloche.daemon;

import dev.cloche.core.CreatePolicy;
import dev.cloche.server.BearerToken;
import dev.cloche.server.ServerTls;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Who may use the daemon's API and what they may ask for (docs/security.md, Access to the API).
 *
 * @param socketGroup  the unix socket's group ({@code --socket-group}); empty = the daemon's own group
 * @param tls          HTTPS (and mTLS) on the TCP listener
 * @param token        the bearer token every TCP request must carry
 * @param createPolicy host bind mount prefixes and privileged containers, checked by the core for every edge
 */
public record AccessConfig(Optional<String> socketGroup, Optional<ServerTls> tls, Optional<BearerToken> token,
                           CreatePolicy createPolicy) {
    /** Socket 0660 in the daemon's group, plain TCP if asked for, no token, any bind mount, privileged allowed. */
    public static final AccessConfig DEFAULTS = new AccessConfig(Optional.empty(), Optional.empty(), Optional.empty(),
            CreatePolicy.OPEN);

    public AccessConfig {
        Objects.requireNonNull(socketGroup, "socketGroup");
        Objects.requireNonNull(tls, "tls");
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(createPolicy, "createPolicy");
    }

    /**
     * The settings from the daemon's flags, each combination checked: a key goes with a certificate, a client CA
     * needs TLS, and TLS or a token need the TCP listener they guard.
     */
    static AccessConfig fromFlags(Optional<String> socketGroup, Optional<Path> tlsCert, Optional<Path> tlsKey,
                                  Optional<Path> tlsClientCa, Optional<Path> tokenFile, List<Path> bindMountPrefixes,
                                  boolean noPrivileged, boolean listening) {
        if (tlsCert.isPresent() != tlsKey.isPresent()) {
            throw new IllegalArgumentException("--tls-cert and --tls-key go together");
        }
        if (tlsClientCa.isPresent() && tlsCert.isEmpty()) {
            throw new IllegalArgumentException("--tls-client-ca needs --tls-cert and --tls-key (mutual TLS is TLS)");
        }
        if ((tlsCert.isPresent() || tokenFile.isPresent()) && !listening) {
            throw new IllegalArgumentException("--tls-cert and --token-file guard the TCP listener: give --listen too");
        }
        Optional<ServerTls> tls = tlsCert.map(cert -> {
            ServerTls t = ServerTls.of(cert, tlsKey.orElseThrow());
            return tlsClientCa.map(t::requiringClientCertificatesFrom).orElse(t);
        });
        Optional<BearerToken> token = tokenFile.map(f -> {
            try {
                return BearerToken.fromFile(f);
            } catch (java.io.UncheckedIOException e) {
                throw new IllegalArgumentException("--token-file: " + e.getMessage(), e);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--token-file " + f + ": " + e.getMessage(), e);
            }
        });
        return new AccessConfig(socketGroup, tls, token, CreatePolicy.of(bindMountPrefixes, !noPrivileged));
    }
}
