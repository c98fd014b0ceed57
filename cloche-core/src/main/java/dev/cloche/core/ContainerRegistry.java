package dev.cloche.core;

import dev.cloche.api.AlreadyExistsException;
import dev.cloche.api.ContainerNotFoundException;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.ResourceExhaustedException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The handles the core knows, and the only place that decides whether one may be used: a handle is valid, unique
 * among every container the core holds (being created, live, broken or being destroyed) and the count of those
 * stays within the backend's {@code maxContainers}. A container leaves the registry when its destroy succeeded.
 */
final class ContainerRegistry {
    private final ConcurrentMap<String, ManagedContainer> containers = new ConcurrentHashMap<>();
    private final long maxContainers;
    /** What sets maxContainers (the backend's words), named when a create is refused. */
    private final String bound;

    ContainerRegistry(long maxContainers, String bound) {
        this.maxContainers = maxContainers;
        this.bound = bound;
    }

    /**
     * Garden handles travel as one URL path segment; a {@code /} could never be addressed again, and control
     * characters would corrupt logs and file names.
     */
    static void validateHandle(String handle) {
        if (handle.isBlank() || handle.length() > 255) {
            throw new InvalidRequestException("invalid handle '" + handle + "': must be 1 to 255 characters");
        }
        for (int i = 0; i < handle.length(); i++) {
            char ch = handle.charAt(i);
            if (ch == '/' || ch < 0x20 || ch == 0x7f) {
                throw new InvalidRequestException("invalid handle '" + handle + "': must not contain '/' or control characters");
            }
        }
    }

    /** Takes the container's handle for a create; nothing else can take it until {@link #release}. */
    void reserve(ManagedContainer c) {
        if (containers.putIfAbsent(c.handle(), c) != null) {
            throw new AlreadyExistsException("Handle '" + c.handle() + "' already in use");
        }
    }

    /** Checked after {@link #reserve}, counting the reserved container, so concurrent creates cannot overshoot. */
    void checkCapacity(String handle) {
        if (containers.size() > maxContainers) {
            throw new ResourceExhaustedException("cannot create container " + handle + ": the maximum of "
                    + maxContainers + " containers is reached (" + bound + ")");
        }
    }

    /** A container the backend restored (or reported broken) at start-up. */
    void add(ManagedContainer c) {
        containers.put(c.handle(), c);
    }

    /** Frees the handle, if it is still this container's. */
    void release(ManagedContainer c) {
        containers.remove(c.handle(), c);
    }

    /** A listed container (live or broken). */
    ManagedContainer find(String handle) {
        ManagedContainer c = containers.get(handle);
        if (c == null || !c.listed()) {
            throw new ContainerNotFoundException(handle);
        }
        return c;
    }

    /** Whatever holds the handle, in any state (the reaper decides by the container's timer, destroy by its state). */
    Optional<ManagedContainer> get(String handle) {
        return Optional.ofNullable(containers.get(handle));
    }

    /** Listed containers whose properties match {@code filter}. */
    List<ManagedContainer> listed(Map<String, String> filter) {
        List<ManagedContainer> out = new ArrayList<>();
        for (ManagedContainer c : containers.values()) {
            if (c.listed() && c.matches(filter)) {
                out.add(c);
            }
        }
        return out;
    }
}
