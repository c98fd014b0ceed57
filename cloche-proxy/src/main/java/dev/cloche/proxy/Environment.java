package dev.cloche.proxy;

import java.time.Instant;
import java.util.Objects;

/** One live environment: its id, template, container and where its server listens. */
public record Environment(String id, String template, String handle, Instant created, Instant expires, String host, int port) {
    public Environment {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(template, "template");
        Objects.requireNonNull(handle, "handle");
        Objects.requireNonNull(created, "created");
        Objects.requireNonNull(expires, "expires");
        Objects.requireNonNull(host, "host");
    }
}
