package dev.cloche.proxy;

import dev.cloche.api.Process;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Waits, on the calling (virtual) thread, until a new environment's server passes its template's readiness check:
 * polled (nothing announces "listening") every 2 ms, then every 5 ms, and after {@link #PATIENT_AFTER_NANOS} of
 * waiting with a back-off up to 20 ms. Most servers are ready within their first seconds, and each millisecond between
 * ready and seen is the visitor's (a cold start's poll used to lose 10 ms on average at 20 ms); a refused connection
 * costs the host microseconds, and a slow starter is polled less. Fails with a {@link ProxyError} naming the reason and the server's output when the
 * server exits first ({@code 502}) or the timeout passes ({@code 504}).
 */
final class ReadinessWait {
    static final long FIRST_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(2);
    static final long EAGER_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
    static final long PATIENT_AFTER_NANOS = TimeUnit.SECONDS.toNanos(3);
    static final long LONGEST_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    private final Readiness.Probe probe;

    ReadinessWait(Readiness.Probe probe) {
        this.probe = probe;
    }

    void await(String id, Process server, Excerpt output, String host, Readiness check, Duration timeout) {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        long pause = FIRST_PAUSE_NANOS;
        while (true) {
            if (server.onExit().isDone()) {
                // the exit can be known before the last output reached us: await() also waits for the output
                try {
                    CompletableFuture.runAsync(server::await, Thread::startVirtualThread).get(2, TimeUnit.SECONDS);
                } catch (Exception e) {
                    // show what arrived
                }
                throw new ProxyError(502, "environment " + id + ": its server exited with status " + server.onExit().join()
                        + " before passing its readiness check (" + describe(check) + "); its output: " + output.text());
            }
            if (probe.passes(host, check)) return;
            if (System.nanoTime() - deadline > 0) {
                throw new ProxyError(504, "environment " + id + ": its server did not pass its readiness check ("
                        + describe(check) + ") within " + seconds(timeout) + "; the environment was removed; its output: "
                        + output.text());
            }
            try {
                TimeUnit.NANOSECONDS.sleep(Math.min(pause, Math.max(0, deadline - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ProxyError(503, "environment " + id + ": interrupted while waiting for its server");
            }
            pause = Math.min(pause * 2, System.nanoTime() - start < PATIENT_AFTER_NANOS ? EAGER_PAUSE_NANOS : LONGEST_PAUSE_NANOS);
        }
    }

    static String describe(Readiness check) {
        return switch (check) {
            case Readiness.Tcp(int port) -> "TCP port " + port + " accepting connections";
            case Readiness.Http(int port, String path) -> "HTTP GET " + path + " on port " + port + " answering 2xx or 3xx";
        };
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    /** Keeps the first bytes of a server's output, for the error when it fails to start. */
    static final class Excerpt extends OutputStream {
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
        private final int max;

        Excerpt(int max) {
            this.max = max;
        }

        @Override
        public synchronized void write(int b) {
            if (buf.size() < max) buf.write(b);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            buf.write(b, off, Math.max(0, Math.min(len, max - buf.size())));
        }

        synchronized String text() {
            String s = buf.toString(StandardCharsets.UTF_8).strip();
            return s.isEmpty() ? "(none)" : s;
        }
    }
}
