package dev.cloche.server;

import dev.cloche.api.CallContext;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A request as the access log names it; {@code route} is the matched route's name, or "-". {@code context} carries
 * the request id and the caller, bound around every core call the request makes (see {@link #bound}).
 */
record RequestLine(String method, String path, String route, long startNanos, CallContext context,
                   RequestObserver observer) {
    // the access log keeps the logger it has always had, so log configurations that name it still apply
    private static final Logger LOG = LoggerFactory.getLogger(HttpHandler.class);

    static final String NO_ROUTE = "-";

    /** Logs the request with the status of its answer (or of the head of a hijacked connection). */
    void answered(int status) {
        long nanos = System.nanoTime() - startNanos;
        LOG.info("method={} path={} route={} status={} durationMs={} request={}", method, path, route, status,
                nanos / 1_000_000, context.requestId());
        observer.answered(route, status, nanos);
    }

    /** {@code executor}, running each task with this request's context bound. */
    Executor bound(Executor executor) {
        return task -> executor.execute(() -> context.run(task));
    }
}
