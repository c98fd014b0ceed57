package dev.cloche.linux.sys;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * The host's processes as the backend looks them up, signals and waits for them: every kernel call about a process
 * ({@code ProcessHandle}, pidfds, /proc) goes through here, so process supervision and the container lifecycle run
 * against a fake in unit tests. {@link #procfs()} is the real one.
 */
public interface ProcessTable {

    /**
     * The process running as {@code pid} now, empty if there is none. The handle is pinned to that process: once it
     * has exited, a new process that reuses the pid is not it.
     */
    Optional<Handle> find(long pid);

    /** True when the pid no longer exists or is a zombie (dead, just not reaped by its parent yet). */
    boolean goneOrZombie(long pid);

    /** Waits (bounded) until every pid is gone or a zombie; whether that happened within the timeout. */
    boolean awaitGone(List<Long> pids, Duration timeout);

    /** The arguments {@code pid} was started with, empty when it is gone or unreadable. */
    List<String> commandLine(long pid);

    /**
     * SIGKILLs {@code pid} and waits (bounded) for it to exit, but only if {@code stillOurs} holds once the process
     * is pinned (a recycled pid is then told apart). False when that could not be done: no such process, not ours,
     * or no exit within {@code wait}.
     */
    boolean killPinned(long pid, BooleanSupplier stillOurs, Duration wait);

    /** The root directory of {@code pid} as it sees it, with its mounts. */
    Path root(long pid);

    /** One process, pinned to its start: signals never reach a later process with the same pid. */
    interface Handle {
        long pid();

        boolean isAlive();

        /** The pid of its parent, -1 when unknown. */
        long parentPid();

        /** SIGTERM. */
        void terminate();

        /** SIGKILL. */
        void kill();
    }

    /** The running kernel's: {@code ProcessHandle}, /proc and pidfds. */
    static ProcessTable procfs() {
        return ProcfsProcessTable.INSTANCE;
    }
}
