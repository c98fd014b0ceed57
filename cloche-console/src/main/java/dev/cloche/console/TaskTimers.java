package dev.cloche.console;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.function.BiConsumer;

/**
 * The two countdowns that end a task without sessions: the grace after its last session left, and the idle time with
 * no session at all (zero: never). Each timer is kept in its {@link Task} and guarded by the owning {@link Tasks}' lock,
 * which this class is given; a timer that fires after it was cancelled or replaced does nothing.
 */
final class TaskTimers {
    private final Object lock;
    private final Duration grace;
    private final Duration idle;
    private final Scheduler scheduler;
    private final Executor endings;
    /** Ends a task, with the reason; run on {@code endings}. */
    private final BiConsumer<Task, String> end;

    TaskTimers(Object lock, Duration grace, Duration idle, Scheduler scheduler, Executor endings,
               BiConsumer<Task, String> end) {
        this.lock = lock;
        this.grace = grace;
        this.idle = idle;
        this.scheduler = scheduler;
        this.endings = endings;
        this.end = end;
    }

    Duration idle() {
        return idle;
    }

    /** Starts the idle countdown of a task that has no session; the caller holds the lock. */
    void armIdle(Task t, Duration remaining) {
        t.idleTimer.ifPresent(Scheduler.Cancellable::cancel);
        t.idleTimer = Optional.empty();
        if (idle.isZero()) {
            return;
        }
        Scheduler.Cancellable[] self = new Scheduler.Cancellable[1];
        self[0] = scheduler.schedule(() -> idleExpired(t, self[0]), remaining);
        t.idleTimer = Optional.of(self[0]);
    }

    /** Starts the grace countdown; false when there is no grace (the caller ends the task now). Caller holds the lock. */
    boolean armGrace(Task t) {
        if (grace.isZero()) {
            return false;
        }
        t.graceTimer.ifPresent(Scheduler.Cancellable::cancel);
        Scheduler.Cancellable[] self = new Scheduler.Cancellable[1];
        self[0] = scheduler.schedule(() -> graceExpired(t, self[0]), grace);
        t.graceTimer = Optional.of(self[0]);
        return true;
    }

    /** Stops both countdowns (a session arrived, or the task ends); the caller holds the lock. */
    static void cancel(Task t) {
        t.graceTimer.ifPresent(Scheduler.Cancellable::cancel);
        t.graceTimer = Optional.empty();
        t.idleTimer.ifPresent(Scheduler.Cancellable::cancel);
        t.idleTimer = Optional.empty();
    }

    private void graceExpired(Task t, Scheduler.Cancellable timer) {
        synchronized (lock) {
            // a session that arrived in the meantime cancelled or replaced this timer
            if (t.graceTimer.orElse(null) != timer || !t.sessions.isEmpty()) {
                return;
            }
        }
        endings.execute(() -> end.accept(t, "its last session ended " + grace.toMillis() + " ms ago"));
    }

    private void idleExpired(Task t, Scheduler.Cancellable timer) {
        synchronized (lock) {
            // a session that arrived in the meantime cancelled or replaced this timer
            if (t.idleTimer.orElse(null) != timer || !t.sessions.isEmpty()) {
                return;
            }
        }
        endings.execute(() -> end.accept(t, "it had no SSH session for " + idle.toSeconds() + " s"));
    }
}
