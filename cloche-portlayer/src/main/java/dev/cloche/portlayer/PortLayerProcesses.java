package dev.cloche.portlayer;

import static dev.cloche.api.PortLayer.MAIN_PROCESS;

import dev.cloche.api.Container;
import dev.cloche.api.GardenError;
import dev.cloche.api.PortLayer.ProcessState;
import dev.cloche.api.PortLayer.ProcessStatus;
import dev.cloche.api.Process;
import dev.cloche.api.ProcessIO;
import dev.cloche.api.ProcessNotFoundException;
import dev.cloche.api.Signal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The port layer's view of a container's processes: whether the main process runs, each process's state (with the
 * time this daemon saw it exit, which Garden does not keep), and stopping them all.
 */
final class PortLayerProcesses {
    /** Stop: TERM, then KILL after this long (Garden's stop grace). */
    static final Duration STOP_GRACE = Duration.ofSeconds(10);

    /** When this daemon saw a process exit, by {@code container/process}; not persisted. */
    private final ConcurrentMap<String, Instant> finished = new ConcurrentHashMap<>();

    /** Records when the process exits (for its state); the caller still detaches it. */
    void watch(String container, Process p) {
        String key = container + "/" + p.id();
        finished.remove(key);
        p.onExit().whenComplete((code, e) -> finished.put(key, Instant.now()));
    }

    /** Forgets a destroyed container's exit times. */
    void forget(String container) {
        finished.keySet().removeIf(k -> k.startsWith(container + "/"));
    }

    ProcessState state(Container c, String pid, List<String> ids, Optional<Instant> started) {
        if (!ids.contains(pid)) {
            return notStarted(pid);
        }
        try (Process p = c.attach(pid, ProcessIO.NONE)) {
            Integer code = p.onExit().getNow(null);
            if (code == null) {
                return new ProcessState(pid, ProcessStatus.RUNNING, OptionalLong.empty(), OptionalInt.empty(), started, Optional.empty());
            }
            // seen exiting by this daemon, or it exited before we started watching (then: now is all we know)
            Instant end = finished.computeIfAbsent(c.handle() + "/" + pid, k -> Instant.now());
            return new ProcessState(pid, ProcessStatus.EXITED, OptionalLong.empty(), OptionalInt.of(code), started, Optional.of(end));
        } catch (ProcessNotFoundException gone) {
            return notStarted(pid);
        }
    }

    private static ProcessState notStarted(String pid) {
        return new ProcessState(pid, ProcessStatus.NOT_STARTED, OptionalLong.empty(), OptionalInt.empty(), Optional.empty(), Optional.empty());
    }

    static boolean mainRunning(Container c) {
        if (!c.info().processIds().contains(MAIN_PROCESS)) {
            return false;
        }
        try (Process p = c.attach(MAIN_PROCESS, ProcessIO.NONE)) {
            return !p.onExit().isDone();
        } catch (ProcessNotFoundException gone) {
            return false;
        }
    }

    /** TERM every running process of the container, KILL what is left after the grace period. */
    static void stopAll(Container c) {
        List<Process> running = new ArrayList<>();
        for (String id : c.info().processIds()) {
            try {
                Process p = c.attach(id, ProcessIO.NONE);
                if (p.onExit().isDone()) {
                    p.close();
                } else {
                    running.add(p);
                }
            } catch (ProcessNotFoundException gone) {
                // reaped in between
            }
        }
        try {
            running.forEach(p -> p.signal(Signal.TERMINATE));
            long deadline = System.nanoTime() + STOP_GRACE.toNanos();
            for (Process p : running) {
                if (!await(p, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())))) {
                    p.signal(Signal.KILL);
                    if (!await(p, STOP_GRACE)) {
                        throw GardenError.internal("process " + p.id() + " of " + c.handle() + " survived SIGKILL");
                    }
                }
            }
        } finally {
            running.forEach(Process::close);
        }
    }

    static boolean await(Process p, Duration timeout) {
        try {
            p.onExit().get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw GardenError.internal("interrupted while waiting for process " + p.id());
        }
    }
}
