package dev.cloche.server;

/**
 * Told of every answered request, where the access log line is written: a metrics hook that keeps the server free of
 * any metrics library. Called on the event loop or a request's virtual thread, so it must be cheap and never throw.
 */
@FunctionalInterface
public interface RequestObserver {
    /** Observes nothing: the default. */
    RequestObserver NONE = (route, status, durationNanos) -> { };

    /**
     * @param route the matched route's name (Garden's, e.g. {@code Create}, or the port layer's or images'), or
     *              {@code "-"} when no route matched
     * @param status the answer's HTTP status (for a hijacked connection, the status of its head)
     * @param durationNanos from the request's head arriving to the answer (or the hijacked head) being written
     */
    void answered(String route, int status, long durationNanos);
}
