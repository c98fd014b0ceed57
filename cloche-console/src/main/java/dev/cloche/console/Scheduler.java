package dev.cloche.console;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** Delayed actions (the grace timer), behind a boundary so lifetime tests need neither sleeps nor clocks. */
interface Scheduler {

    /** Runs {@code action} once after {@code delay}, unless cancelled first. */
    Cancellable schedule(Runnable action, Duration delay);

    interface Cancellable {
        /** Idempotent; an action that already ran stays run. */
        void cancel();
    }

    static Scheduler of(ScheduledExecutorService executor) {
        return (action, delay) -> {
            var f = executor.schedule(action, delay.toNanos(), TimeUnit.NANOSECONDS);
            return () -> f.cancel(false);
        };
    }
}
