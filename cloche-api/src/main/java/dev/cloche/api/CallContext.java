package dev.cloche.api;

import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The call being served: its request id and its caller. An edge binds it (a {@link ScopedValue}) around each call it
 * makes on the core, so that the audit log, the events and the log lines of one request carry the same id without
 * every method of {@link GardenClient} taking it as a parameter.
 *
 * @param requestId 16 hex digits, unique enough to follow one request across log, audit and events
 * @param caller    who made the call
 */
public record CallContext(String requestId, Caller caller) {
    /** Bound by the edge for the duration of one call; unbound for work the daemon does on its own. */
    public static final ScopedValue<CallContext> CURRENT = ScopedValue.newInstance();

    private static final CallContext DAEMON = new CallContext("-", Caller.internal("daemon"));

    public CallContext {
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(caller, "caller");
    }

    /** A fresh context with a new request id. */
    public static CallContext of(Caller caller) {
        return new CallContext(newRequestId(), caller);
    }

    /** The bound context, or the daemon's own (request id {@code -}) outside any call, e.g. the grace-time reaper. */
    public static CallContext current() {
        return CURRENT.isBound() ? CURRENT.get() : DAEMON;
    }

    public static String newRequestId() {
        return String.format("%016x", ThreadLocalRandom.current().nextLong());
    }

    /** Runs {@code task} with this context bound. */
    public void run(Runnable task) {
        ScopedValue.where(CURRENT, this).run(task);
    }
}
