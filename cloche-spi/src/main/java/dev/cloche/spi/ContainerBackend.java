package dev.cloche.spi;

import dev.cloche.api.Capacity;
import java.util.List;

/**
 * The mechanics of containers on one kind of engine (Linux/runc, later Docker engine, Kubernetes). The core
 * ({@code ContainerManager}) owns handles, locking, properties, grace time and events; it calls a backend for one
 * container at a time and never concurrently for the same handle.
 */
public interface ContainerBackend extends AutoCloseable {

    /**
     * Builds and starts a container whose handle the core has already chosen and reserved. On failure the backend
     * has undone everything it did (no mount, cgroup, runtime state or depot entry is left) and throws a
     * {@link dev.cloche.api.GardenException}.
     */
    BackendContainer create(BackendSpec spec);

    /**
     * Containers this backend finds at start-up (from its depot), restored or reported broken. Called once, before
     * any create.
     */
    List<RestoredContainer> restore();

    Capacity capacity();

    /** Releases the backend's own resources. Containers keep running: they outlive the daemon. */
    @Override
    void close();
}
