package dev.cloche.server;

import dev.cloche.api.CallContext;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

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
        // also logged from the event loop (streams, hijacked heads), outside any bound call: the MDC names it here too
        long nanos = System.nanoTime() - startNanos;
        String outer = MDC.get(MDC_REQUEST);
        MDC.put(MDC_REQUEST, context.requestId());
        try {
            LOG.info("method={} path={} route={} status={} durationMs={}", method, path, route, status,
                    nanos / 1_000_000);
        } finally {
            if (outer == null) {
                MDC.remove(MDC_REQUEST);
            } else {
                MDC.put(MDC_REQUEST, outer);
            }
        }
        observer.answered(route, status, nanos);
    }

    /** MDC key of the request id in log lines (logback's patterns name it; the JSON encoder writes it as a field). */
    static final String MDC_REQUEST = "request";

    /**
     * {@code executor}, running each task with this request's context bound and its request id in the log's MDC, so
     * every line logged while serving it (core, backend) names the request its audit record and events name.
     */
    Executor bound(Executor executor) {
        return task -> executor.execute(() -> context.run(() -> {
            try (MDC.MDCCloseable ignored = MDC.putCloseable(MDC_REQUEST, context.requestId())) {
                task.run();
            }
        }));
    }
}
