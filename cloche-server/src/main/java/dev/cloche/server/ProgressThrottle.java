package dev.cloche.server;

import dev.cloche.api.LayerProgress;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Keeps a pull's progress stream light: a backend may report every few KiB, a client needs a few updates a second.
 * A layer's first record and its last ({@code done}) always pass, in order; the ones between pass at most once per
 * interval per layer. One pull's records come one at a time, so this is not thread-safe.
 */
final class ProgressThrottle {
    static final Duration INTERVAL = Duration.ofMillis(100);

    private final long intervalNanos;
    private final LongSupplier nanoTime;
    private final Map<String, Long> lastPassed = new HashMap<>();

    ProgressThrottle(Duration interval, LongSupplier nanoTime) {
        this.intervalNanos = interval.toNanos();
        this.nanoTime = nanoTime;
    }

    static ProgressThrottle standard() {
        return new ProgressThrottle(INTERVAL, System::nanoTime);
    }

    /** Whether this record goes on the wire. */
    boolean pass(LayerProgress p) {
        long now = nanoTime.getAsLong();
        Long last = lastPassed.get(p.digest());
        if (last == null || p.done() || now - last >= intervalNanos) {
            lastPassed.put(p.digest(), now);
            return true;
        }
        return false;
    }
}
