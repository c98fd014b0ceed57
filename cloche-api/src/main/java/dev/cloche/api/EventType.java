package dev.cloche.api;

import java.util.Optional;

/** What an {@link Event} reports; {@link #wireName()} is how it is spelled in the event stream and the CLI. */
public enum EventType {
    CONTAINER_CREATED("container-created"),
    CONTAINER_DESTROYED("container-destroyed"),
    /** Garden's Stop: every process of the container was signalled and has exited. */
    CONTAINER_STOPPED("container-stopped"),
    /** The kernel's OOM killer killed a process of the container (its memory limit was reached). */
    OOM("oom"),
    PROCESS_STARTED("process-started"),
    PROCESS_EXITED("process-exited"),
    /** The grace time ran out with nobody using the container: the daemon destroys it next. */
    GRACE_TIME_EXPIRED("grace-time-expired"),
    NET_IN("net-in"),
    NET_OUT("net-out"),
    IMAGE_PULLED("image-pulled"),
    /**
     * Not something that happened to a container: events this subscriber was sent were dropped, either because it
     * fell behind (the stream's last record: the subscription is cut) or because a replay asked for events the
     * ring no longer holds (the first record).
     */
    LOST("lost");

    private final String wireName;

    EventType(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    public static Optional<EventType> fromWireName(String name) {
        for (EventType t : values()) {
            if (t.wireName.equals(name)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }
}
