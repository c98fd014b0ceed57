package dev.cloche.image.registry;

import java.time.Duration;
import java.util.Objects;

/**
 * How patiently the registry client talks: the connect timeout, the read timeout (until response headers, and the
 * longest a body may stall), and the bounded retry of connection errors, 5xx and 429 (attempts in all, the first
 * backoff doubling each time).
 */
public record RegistrySettings(Duration connectTimeout, Duration readTimeout, int attempts, Duration backoff) {
    public static final RegistrySettings DEFAULT =
            new RegistrySettings(Duration.ofSeconds(10), Duration.ofSeconds(30), 3, Duration.ofMillis(500));

    public RegistrySettings {
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(readTimeout, "readTimeout");
        Objects.requireNonNull(backoff, "backoff");
        if (attempts < 1) throw new IllegalArgumentException("attempts must be at least 1");
    }
}
