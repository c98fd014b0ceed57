package dev.cloche.proxy;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The deadline for an environment's server to begin its answer, for one client connection's requests in turn. One
 * scheduled check at a time that moves itself to the current deadline when it fires early, instead of a timer
 * scheduled and cancelled per request (each a task in the event loop's queue). Runs on the connection's event loop.
 */
final class AnswerTimer {
    private final EventLoop loop;
    private final long timeoutNanos;
    private final Runnable expired;
    /** The deadline of the request waiting for its answer; 0 when none is. */
    private long deadline;
    private ScheduledFuture<?> check;

    AnswerTimer(EventLoop loop, Duration timeout, Runnable expired) {
        this.loop = loop;
        this.timeoutNanos = timeout.toNanos();
        this.expired = expired;
    }

    /** A request was sent in full: its answer must begin within the timeout. */
    void arm() {
        deadline = System.nanoTime() + timeoutNanos;
        if (deadline == 0) deadline = 1;
        if (check == null) check = loop.schedule(this::fire, timeoutNanos, TimeUnit.NANOSECONDS);
    }

    /** The answer began (or the request ended otherwise). */
    void disarm() {
        deadline = 0;
    }

    /** The connection closed: nothing is left to check. */
    void close() {
        deadline = 0;
        if (check != null) check.cancel(false);
        check = null;
    }

    private void fire() {
        check = null;
        if (deadline == 0) return;
        long left = deadline - System.nanoTime();
        if (left > 0) {
            check = loop.schedule(this::fire, left, TimeUnit.NANOSECONDS);
            return;
        }
        deadline = 0;
        expired.run();
    }
}
