package dev.cloche.core;

/**
 * Told of what the core does on its own, which no caller of {@link dev.cloche.api.GardenClient} sees: a metrics hook
 * that keeps the core free of any metrics library. Called on the reaper's threads; must be cheap and never throw.
 */
public interface CoreObserver {
    /** Observes nothing: the default. */
    CoreObserver NONE = new CoreObserver() { };

    /** The grace time of {@code handle} expired and its container was destroyed. */
    default void reaped(String handle) {
    }

    /** The grace time of {@code handle} expired but destroying its container failed with {@code error}. */
    default void reapFailed(String handle, RuntimeException error) {
    }
}
