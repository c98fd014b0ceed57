package dev.cloche.proxy;

/**
 * Told of every answered proxy request: a metrics hook that keeps the proxy free of any metrics library. Called on
 * the event loop, so it must be cheap and never throw.
 */
@FunctionalInterface
public interface ProxyObserver {
    /** Observes nothing: the default. */
    ProxyObserver NONE = (kind, status, durationNanos) -> { };

    /**
     * @param kind {@code control} (the proxy's own routes: {@code /demo/new}, {@code /demo}, ...) or {@code relay}
     *             (a request relayed to an environment, answered by it or by the proxy on its behalf)
     * @param status the answer's HTTP status
     * @param durationNanos from the request's head arriving to the answer's last byte being written (for a protocol
     *                      switch, its head)
     */
    void answered(String kind, int status, long durationNanos);
}
