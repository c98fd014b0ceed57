package dev.cloche.docker;

import com.github.dockerjava.api.exception.NotFoundException;
import dev.cloche.api.ContainerNotFoundException;
import java.util.function.Supplier;

/**
 * Engine calls on one container, shared by its roles: a destroyed container, or one the engine no longer has, is
 * Garden's unknown handle.
 */
final class ContainerCalls {
    private final String handle;
    private final String containerId;
    private final Engine engine;
    private volatile boolean destroyed;

    ContainerCalls(String handle, String containerId, Engine engine) {
        this.handle = handle;
        this.containerId = containerId;
        this.engine = engine;
    }

    String handle() {
        return handle;
    }

    String containerId() {
        return containerId;
    }

    Engine engine() {
        return engine;
    }

    void live() {
        if (destroyed) throw new ContainerNotFoundException(handle);
    }

    boolean destroyed() {
        return destroyed;
    }

    void markDestroyed() {
        destroyed = true;
    }

    <T> T call(Supplier<T> call) {
        live();
        try {
            return call.get();
        } catch (NotFoundException e) {
            throw new ContainerNotFoundException(handle);
        }
    }
}
