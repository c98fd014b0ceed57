package dev.cloche.linux;

import dev.cloche.api.ContainerNotFoundException;

/** Whether a container is active, stopped or destroyed: read by each of its roles, changed by its lifecycle. */
final class ContainerStatus {
    private enum Phase { ACTIVE, STOPPED, DESTROYED }

    private final String handle;
    private volatile Phase phase = Phase.ACTIVE;

    ContainerStatus(String handle) {
        this.handle = handle;
    }

    /** Fails as Garden does for a container that is gone. */
    void requireExists() {
        if (phase == Phase.DESTROYED) throw new ContainerNotFoundException(handle);
    }

    /** Its processes were killed by {@code stop}: files are still there, nothing runs. */
    boolean stopped() {
        return phase == Phase.STOPPED;
    }

    void markStopped() {
        phase = Phase.STOPPED;
    }

    void markDestroyed() {
        phase = Phase.DESTROYED;
    }

    /** Garden's name for the state: {@code active} or {@code stopped}. */
    String describe() {
        return phase == Phase.STOPPED ? "stopped" : "active";
    }
}
