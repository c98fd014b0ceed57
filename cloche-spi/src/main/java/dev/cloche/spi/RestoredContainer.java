package dev.cloche.spi;

import java.util.Objects;
import java.util.Optional;

/**
 * A container found in a backend's depot at start-up: either usable again, or broken with the reason. A broken one is
 * reported with that error and its data is kept until the user destroys it; {@code removeLeftovers} is how that
 * destroy reaches the backend (its overlay, cgroups, runtime state and entry go; idempotent). Empty when the backend
 * cannot tell what belongs to it (an unreadable entry): the destroy then only forgets the container.
 */
public record RestoredContainer(String handle, Optional<BackendContainer> container, Optional<String> error,
                                Optional<Runnable> removeLeftovers) {
    public RestoredContainer {
        Objects.requireNonNull(handle, "handle");
        Objects.requireNonNull(container, "container");
        Objects.requireNonNull(error, "error");
        Objects.requireNonNull(removeLeftovers, "removeLeftovers");
    }

    public RestoredContainer(String handle, Optional<BackendContainer> container, Optional<String> error) {
        this(handle, container, error, Optional.empty());
    }
}
