package dev.cloche.proxy;

import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An environment's use, and when its {@link Lifetime} ends it as things stand: requests in flight and open websocket
 * tunnels hold it (an environment in use never idles out), and the end of each use restarts the idle countdown. The
 * hard end (creation plus the lifetime's maximum) ends it whatever its use. Thread-safe: event loops record use, the
 * expiry timer reads it.
 */
class Activity {
    /** The use of an environment that is not live (it ended meanwhile): recorded nowhere. */
    static final Activity NONE = new Activity() {
        @Override
        void begin() {}

        @Override
        void end() {}
    };

    private final Lifetime lifetime;
    private final Instant hardEnd;
    private final Clock clock;
    private final AtomicInteger inUse = new AtomicInteger();
    /** Requests and tunnels begun so far (the web console's "requests served"). */
    private final java.util.concurrent.atomic.LongAdder begun = new java.util.concurrent.atomic.LongAdder();
    private volatile long lastUseMillis;

    Activity(Lifetime lifetime, Instant created, Clock clock) {
        this.lifetime = lifetime;
        this.hardEnd = created.plus(lifetime.max());
        this.clock = clock;
        this.lastUseMillis = clock.millis();
    }

    private Activity() {
        this(new Lifetime.Fixed(java.time.Duration.ofDays(1)), Instant.EPOCH, Clock.systemUTC());
    }

    /** A request or tunnel starts using the environment; each {@code begin} is matched by one {@link #end}. */
    void begin() {
        begun.increment();
        inUse.incrementAndGet();
        lastUseMillis = clock.millis();
    }

    void end() {
        lastUseMillis = clock.millis();
        inUse.decrementAndGet();
    }

    long begun() {
        return begun.sum();
    }

    int inUse() {
        return inUse.get();
    }

    Instant hardEnd() {
        return hardEnd;
    }

    /**
     * When the environment ends unless it is used again: the hard end for a fixed TTL; for an idle lifetime, idle
     * time after its last use (from now while in use), never past the hard end.
     */
    Instant expires() {
        if (!(lifetime instanceof Lifetime.Idle(var idle, var max))) return hardEnd;
        long from = inUse.get() > 0 ? clock.millis() : lastUseMillis;
        Instant idleEnd = Instant.ofEpochMilli(from).plus(idle);
        return idleEnd.isBefore(hardEnd) ? idleEnd : hardEnd;
    }

    /** Whether it has expired now: past its hard end, or idle (not in use) for its idle time. */
    boolean expired() {
        Instant now = clock.instant();
        if (!now.isBefore(hardEnd)) return true;
        return inUse.get() == 0 && !now.isBefore(expires());
    }
}
