package dev.cloche.client;

import java.util.Objects;
import java.util.Optional;

/**
 * How a client proves itself to a Garden server: TLS (on TCP only; a unix socket is guarded by its file mode) and a
 * bearer token sent as {@code Authorization: Bearer <token>} on every request. {@link #NONE} is Garden's plain HTTP.
 */
public record ClientSecurity(Optional<ClientTls> tls, Optional<String> token) {
    public static final ClientSecurity NONE = new ClientSecurity(Optional.empty(), Optional.empty());

    public ClientSecurity {
        Objects.requireNonNull(tls, "tls");
        Objects.requireNonNull(token, "token");
        token.ifPresent(t -> {
            if (t.isEmpty() || !t.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
                throw new IllegalArgumentException("a token is printable ASCII without spaces");
            }
        });
    }

    public ClientSecurity withTls(ClientTls t) {
        return new ClientSecurity(Optional.of(t), token);
    }

    public ClientSecurity withToken(String t) {
        return new ClientSecurity(tls, Optional.of(t));
    }

    @Override
    public String toString() {
        return "ClientSecurity[tls=" + tls + ", token=" + token.map(t -> "(redacted)").orElse("none") + "]";
    }
}
