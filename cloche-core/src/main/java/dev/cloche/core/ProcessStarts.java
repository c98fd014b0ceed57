package dev.cloche.core;

import dev.cloche.api.AlreadyExistsException;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.ProcessSpec;
import dev.cloche.spi.BackendContainer;
import dev.cloche.spi.BackendProcess;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The core's policy for starting processes in one container, so that no backend checks it again: which process
 * specs are accepted, and that a process id names at most one live process. An id is reserved from the check until
 * the backend's {@code run} has returned, so two concurrent starts with one id cannot both pass the check.
 */
final class ProcessStarts {
    /** Ids whose start is in progress (checked, the backend's run not yet returned). */
    private final Set<String> starting = ConcurrentHashMap.newKeySet();

    /**
     * Refuses what Garden refuses; checked before any lock is taken or the grace timer held. A process with an image
     * of its own (a pea) goes to the backend, which may not run peas (then it refuses them itself).
     */
    static void validate(ProcessSpec spec) {
        if (!spec.bindMounts().isEmpty() && spec.image().uri().isEmpty()) {
            throw new InvalidRequestException("bind mounts are only allowed for processes that run in their own image");
        }
        if (spec.path().isEmpty()) {
            throw new InvalidRequestException("process spec has no path");
        }
    }

    /**
     * Starts a process under its own id (or a generated one). An exited process with the same id may still be kept
     * by the backend: the backend replaces it.
     *
     * @throws AlreadyExistsException when a live process has this id, or another start with it is in progress
     */
    BackendProcess start(BackendContainer backend, ProcessSpec spec) {
        String id = spec.id().isEmpty() ? UUID.randomUUID().toString() : spec.id();
        if (!starting.add(id)) {
            throw inUse(id);
        }
        try {
            backend.process(id).ifPresent(existing -> {
                if (!existing.exit().isDone()) {
                    throw inUse(id);
                }
            });
            return backend.run(spec.withId(id));
        } finally {
            starting.remove(id);
        }
    }

    private static AlreadyExistsException inUse(String id) {
        return new AlreadyExistsException("process id '" + id + "' already in use");
    }
}
