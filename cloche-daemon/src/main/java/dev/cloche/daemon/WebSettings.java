package dev.cloche.daemon;

import dev.cloche.server.ServerTls;
import java.util.Objects;
import java.util.Optional;

/**
 * The browser console's settings: where it listens ({@code host:port}) and its TLS (the same PEM files and loading
 * as the API's).
 */
public record WebSettings(String listen, Optional<ServerTls> tls) {
    public WebSettings {
        Objects.requireNonNull(listen, "listen");
        Objects.requireNonNull(tls, "tls");
    }
}
