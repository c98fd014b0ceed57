package dev.cloche.daemon.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's debug listener, plain HTTP (keep it on loopback): {@code /debug/vars} (Go expvar JSON),
 * {@code /metrics} (Prometheus text) and {@code /healthz} ({@code ok}, or 503 and one line why). The JDK's small
 * HTTP server: a few GETs a second need nothing of Netty's, and it keeps this listener apart from Garden's.
 */
public final class DebugListener implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DebugListener.class);
    /** Prometheus' text exposition format, version 0.0.4. */
    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();

    private DebugListener(HttpServer server) {
        this.server = server;
    }

    /** Pages the listener serves, each computed per request. */
    public record Pages(Supplier<String> expvars, Supplier<String> metrics, Supplier<Optional<String>> healthProblem) {
    }

    public static DebugListener start(InetSocketAddress address, Pages pages) {
        HttpServer server;
        try {
            server = HttpServer.create(address, 16);
        } catch (IOException e) {
            // a setting the operator must change: one line, as for every other bad setting
            throw new IllegalArgumentException("--debug-listen: cannot listen on " + address.getHostString() + ":"
                    + address.getPort() + ": " + e.getMessage(), e);
        }
        DebugListener listener = new DebugListener(server);
        server.setExecutor(listener.executor);
        server.createContext("/", ex -> listener.serve(ex, pages));
        server.start();
        if (address.getAddress() == null || !address.getAddress().isLoopbackAddress()) {
            LOG.warn("debug listener on {}, not loopback: it has no authentication, anyone who reaches it reads it",
                    address);
        }
        LOG.info("debug listener on http://{}:{} (/debug/vars, /metrics, /healthz)",
                address.getHostString(), listener.port());
        return listener;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private void serve(HttpExchange ex, Pages pages) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            boolean known = path.equals("/debug/vars") || path.equals("/metrics") || path.equals("/healthz");
            if (!known) {
                answer(ex, 404, "text/plain; charset=utf-8", "not found: try /debug/vars, /metrics or /healthz\n");
                return;
            }
            if (!ex.getRequestMethod().equals("GET") && !ex.getRequestMethod().equals("HEAD")) {
                ex.getResponseHeaders().set("Allow", "GET, HEAD");
                answer(ex, 405, "text/plain; charset=utf-8", "method not allowed\n");
                return;
            }
            try {
                switch (path) {
                    case "/debug/vars" -> answer(ex, 200, "application/json; charset=utf-8", pages.expvars().get());
                    case "/metrics" -> answer(ex, 200, PROMETHEUS_TEXT, pages.metrics().get());
                    default -> {
                        Optional<String> problem = pages.healthProblem().get();
                        answer(ex, problem.isEmpty() ? 200 : 503, "text/plain; charset=utf-8",
                                problem.orElse("ok") + "\n");
                    }
                }
            } catch (RuntimeException e) {
                LOG.warn("debug page {} failed: {}", path, e.toString());
                answer(ex, 500, "text/plain; charset=utf-8", "internal error\n");
            }
        }
    }

    private static void answer(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        boolean head = ex.getRequestMethod().equals("HEAD");
        ex.sendResponseHeaders(status, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    /** Stops listening at once (a scrape in flight is cut). */
    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
