package dev.cloche.api;

/**
 * The daemon's events (container created, destroyed, stopped; OOM; process started and exited; grace time expired;
 * net-in and net-out; image pulled). In the daemon the core ({@code ContainerManager}) is one, remotely
 * {@code RemoteGardenClient} is, over Cloche's {@code GET /events} route.
 */
public interface EventSource {

    /**
     * Subscribes to the events {@code filter} takes, starting as {@code replay} says. Publishing never waits for a
     * subscriber: one that falls behind by more than its queue holds is cut with a final {@link EventType#LOST}.
     */
    EventSubscription subscribe(EventFilter filter, EventReplay replay);
}
