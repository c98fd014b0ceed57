package dev.cloche.spi;

import java.util.Objects;
import java.util.Optional;

/**
 * A container found in a backend's depot at start-up: either usable again, or broken with the reason (it is then
 * reported with that error and its data is kept until the user destroys it).
 */
public record RestoredContainer(String handle, Optional<BackendContainer> container, Optional<String> error) {
    public RestoredContainer {
        Objects.requireNonNull(handle, "handle");
        Objects.requireNonNull(container, "container");
        Objects.requireNonNull(error, "error");
    }
}
