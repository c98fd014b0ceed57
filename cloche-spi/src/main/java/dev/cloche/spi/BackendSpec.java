package dev.cloche.spi;

import dev.cloche.api.ContainerSpec;
import java.util.Objects;

/**
 * What the core hands a backend: the user's spec with the handle resolved (never empty).
 *
 * @param spec the container spec; {@code spec.handle()} is the final handle
 */
public record BackendSpec(ContainerSpec spec) {
    public BackendSpec {
        Objects.requireNonNull(spec, "spec");
        if (spec.handle().isEmpty()) {
            throw new IllegalArgumentException("the core resolves the handle before calling the backend");
        }
    }

    public String handle() {
        return spec.handle();
    }
}
