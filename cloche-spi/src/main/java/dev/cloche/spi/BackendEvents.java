package dev.cloche.spi;

/**
 * What a backend sees happen to its containers on its own, outside any call, reported to the core (which turns it
 * into events). Implementations return at once and never throw; a backend may call them from any thread.
 */
public interface BackendEvents {
    /** Reports nothing: the default until the core gives a backend its own. */
    BackendEvents NONE = (handle, kills) -> { };

    /**
     * The kernel's OOM killer killed processes of the container {@code handle}: {@code kills} more since the last
     * report. A backend reports it before the exit of a process it killed completes.
     */
    void outOfMemory(String handle, long kills);
}
