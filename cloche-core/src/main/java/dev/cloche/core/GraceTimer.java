package dev.cloche.core;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Garden's "bomberman" for one container: a countdown that destroys the container when it runs out. Every request
 * on the container holds it ({@link #hold()}/{@link #release()}); while any hold is active the countdown is paused,
 * and when the last one ends it restarts in full. A zero grace time never fires.
 */
final class GraceTimer {
    private final ScheduledExecutorService scheduler;
    private final Runnable onExpiry;
    private Duration graceTime;
    private int holds;
    private ScheduledFuture<?> pending;
    private boolean defused;

    GraceTimer(ScheduledExecutorService scheduler, Duration graceTime, Runnable onExpiry) {
        this.scheduler = scheduler;
        this.graceTime = graceTime;
        this.onExpiry = onExpiry;
    }

    synchronized Duration graceTime() {
        return graceTime;
    }

    /** Starts the countdown (after create or restore). */
    synchronized void arm() {
        reschedule();
    }

    synchronized void set(Duration g) {
        graceTime = g;
        reschedule();
    }

    synchronized void hold() {
        holds++;
        cancel();
    }

    synchronized void release() {
        if (holds > 0 && --holds == 0) {
            reschedule();
        }
    }

    /** Cancels for good (destroy). */
    synchronized void defuse() {
        defused = true;
        cancel();
    }

    /** True when the timer may fire now: not defused and nobody holds it (checked again at expiry). */
    synchronized boolean idle() {
        return !defused && holds == 0;
    }

    private void reschedule() {
        cancel();
        if (defused || holds > 0 || graceTime.isZero()) {
            return;
        }
        pending = scheduler.schedule(onExpiry, graceTime.toNanos(), TimeUnit.NANOSECONDS);
    }

    private void cancel() {
        if (pending != null) {
            pending.cancel(false);
            pending = null;
        }
    }
}
