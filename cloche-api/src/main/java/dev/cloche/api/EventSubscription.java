package dev.cloche.api;

import java.time.Duration;
import java.util.Optional;

/**
 * One subscriber's stream of events, in sequence order. It ends when it is closed, when its source goes away, or
 * after a {@link EventType#LOST} record when it fell behind (it is then cut: {@link #next()} delivers what was
 * queued, the lost record, then ends).
 */
public interface EventSubscription extends AutoCloseable {

    /** The next event, waiting for it; empty once the subscription has ended. */
    Optional<Event> next();

    /** As {@link #next()}, waiting at most {@code timeout}; empty also when nothing came in time. */
    Optional<Event> next(Duration timeout);

    /** Ends the subscription and releases what it holds; a {@link #next()} waiting in another thread returns empty. */
    @Override
    void close();
}
