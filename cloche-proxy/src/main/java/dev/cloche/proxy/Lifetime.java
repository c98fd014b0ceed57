package dev.cloche.proxy;

import java.time.Duration;
import java.util.Objects;

/**
 * How long an environment lives: a fixed TTL from its creation (the default), or until it has been idle for
 * {@code idle} (no request in flight, no open websocket carrying bytes), and never longer than {@code max}.
 */
public sealed interface Lifetime {
    /** The longest an environment may live. */
    Duration max();

    record Fixed(Duration ttl) implements Lifetime {
        public Fixed {
            positive(ttl, "ttl");
        }

        @Override
        public Duration max() {
            return ttl;
        }
    }

    record Idle(Duration idle, Duration max) implements Lifetime {
        public Idle {
            positive(idle, "idle_ttl");
            positive(max, "max_ttl");
            if (idle.compareTo(max) > 0) throw new IllegalArgumentException("idle_ttl " + idle + " exceeds max_ttl " + max);
        }
    }

    private static void positive(Duration d, String what) {
        Objects.requireNonNull(d, what);
        if (d.isNegative() || d.isZero()) throw new IllegalArgumentException(what + " must be positive");
    }
}
