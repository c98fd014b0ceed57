package dev.cloche.console;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The interactive shells of the tasks, and those waiting for their client to reconnect: a shell whose connection
 * dropped is parked for the reconnect grace, then killed; the next shell login of the task takes it up again.
 *
 * <p>Its state lives in the {@link Task}s and {@link ReattachableShell}s and is guarded by the owning {@link Tasks}'
 * lock, which this class is given, so that a task's sessions, shells and lifetime change together.
 */
final class ShellParking {
    private static final Logger log = LoggerFactory.getLogger(ShellParking.class);

    private final Object lock;
    private final Duration reconnect;
    private final Scheduler scheduler;
    private final Executor endings;
    /** Whether a task takes shells now (the agent is not stopping, the task is ready); called under the lock. */
    private final Predicate<Task> open;
    /** Called (outside the lock) once a task may have neither sessions nor shells left. */
    private final Consumer<Task> lastGone;

    ShellParking(Object lock, Duration reconnect, Scheduler scheduler, Executor endings, Predicate<Task> open,
                 Consumer<Task> lastGone) {
        this.lock = lock;
        this.reconnect = reconnect;
        this.scheduler = scheduler;
        this.endings = endings;
        this.open = open;
        this.lastGone = lastGone;
    }

    /** Whether shells outlive their connection (a reconnect grace is set). */
    boolean reconnects() {
        return !reconnect.isZero();
    }

    /** A new interactive shell of the task; false when the task is no longer ready (the caller kills the shell). */
    boolean add(Task t, ReattachableShell shell) {
        synchronized (lock) {
            if (!open.test(t)) {
                return false;
            }
            t.shells.add(shell);
            return true;
        }
    }

    /**
     * The shell's client dropped: the shell waits for the reconnect grace, then is killed. False when it cannot wait
     * (the task is ending or the agent stopping; the caller kills it).
     */
    boolean park(Task t, ReattachableShell shell) {
        synchronized (lock) {
            if (!open.test(t) || !t.shells.contains(shell)) {
                return false;
            }
            shell.parked = true;
            Scheduler.Cancellable[] self = new Scheduler.Cancellable[1];
            self[0] = scheduler.schedule(() -> expired(t, shell, self[0]), reconnect);
            shell.expiry = Optional.of(self[0]);
        }
        log.info("console shell waiting for a reconnect task={} grace_s={}", t.id(), reconnect.toSeconds());
        return true;
    }

    /** The most recently parked shell of the task, now attached to the caller's session; empty when none waits. */
    Optional<ReattachableShell> reattach(Task t) {
        synchronized (lock) {
            for (int i = t.shells.size() - 1; i >= 0; i--) {
                ReattachableShell s = t.shells.get(i);
                if (s.parked) {
                    s.parked = false;
                    s.expiry.ifPresent(Scheduler.Cancellable::cancel);
                    s.expiry = Optional.empty();
                    return Optional.of(s);
                }
            }
            return Optional.empty();
        }
    }

    /** The shell's process exited. Idempotent. */
    void ended(Task t, ReattachableShell shell) {
        synchronized (lock) {
            if (!t.shells.remove(shell)) {
                return;
            }
            shell.expiry.ifPresent(Scheduler.Cancellable::cancel);
            shell.expiry = Optional.empty();
        }
        shell.input.end();
        lastGone.accept(t);
    }

    private void expired(Task t, ReattachableShell shell, Scheduler.Cancellable timer) {
        synchronized (lock) {
            if (shell.expiry.orElse(null) != timer || !shell.parked || !t.shells.remove(shell)) {
                return; // reattached (or ended) in the meantime
            }
        }
        log.info("console shell not reconnected within {} s, killed task={}", reconnect.toSeconds(), t.id());
        endings.execute(() -> {
            shell.kill();
            lastGone.accept(t);
        });
    }
}
