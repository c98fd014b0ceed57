package dev.cloche.linux;

import dev.cloche.linux.sys.ProcessTable;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Where a monitored process is in its life (docs/process-monitor.md §5). Each transition is a pure function of the
 * state, so an event that arrives late (an exit seen after a close, a start that completes after the exit) leaves a
 * terminal state as it is. {@link Exited}, {@link Orphaned} and {@link Closed} are terminal: the exit status is known.
 */
sealed interface ProcessState {
    /** Reported when the monitor died without recording the exit status (it was SIGKILLed): the status is gone. */
    int LOST_EXIT = 255;

    /** The monitor runs the runtime; it has not reported the process's pid yet. */
    record Starting() implements ProcessState {}

    /** The process runs under {@code monitor}; {@code pid} is -1 until known (restored before the runtime wrote it). */
    record Running(long pid, Monitor monitor) implements ProcessState {}

    /** The monitor recorded {@code code}, or died without recording one ({@link #LOST_EXIT}). */
    record Exited(int code, Monitor monitor) implements ProcessState {}

    /**
     * Found after a restart with its monitor killed: the status is unknowable ({@link #LOST_EXIT}) and the process
     * {@code pid} may still run, unwatched.
     */
    record Orphaned(long pid, Monitor monitor) implements ProcessState {}

    /** Let go of: readers end and stdin is closed; {@code code} is the status known by then, else {@link #LOST_EXIT}. */
    record Closed(int code, Monitor monitor) implements ProcessState {}

    ProcessState STARTING = new Starting();

    /**
     * The process's monitor, {@code pid} -1 when unknown. The handle is pinned to the monitor that wrote
     * {@code monitor.pid}, so a recycled pid does not look alive.
     */
    record Monitor(long pid, Optional<ProcessTable.Handle> handle) {
        static final Monitor NONE = new Monitor(-1, Optional.empty());
    }

    /** The monitor reported the pid: the start is complete (an exit seen meanwhile stands, and learns its monitor). */
    default ProcessState started(long pid, Monitor monitor) {
        return switch (this) {
            case Starting s -> new Running(pid, monitor);
            case Exited(int code, Monitor m) when m.pid() <= 0 -> new Exited(code, monitor);
            default -> this;
        };
    }

    /** The runtime's pid file was read late: a running process learns its pid. */
    default ProcessState withPid(long pid) {
        return this instanceof Running(long old, Monitor m) && old <= 0 ? new Running(pid, m) : this;
    }

    /** The exit status is known; a terminal state keeps the one it has. */
    default ProcessState exited(int code) {
        return switch (this) {
            case Starting s -> new Exited(code, Monitor.NONE);
            case Running(long pid, Monitor m) -> new Exited(code, m);
            default -> this;
        };
    }

    /** Let go of; {@code recorded} is the status the monitor recorded, if any. */
    default ProcessState closed(OptionalInt recorded) {
        return switch (this) {
            case Starting s -> new Closed(recorded.orElse(LOST_EXIT), Monitor.NONE);
            case Running(long pid, Monitor m) -> new Closed(recorded.orElse(LOST_EXIT), m);
            case Exited(int code, Monitor m) -> new Closed(code, m);
            case Orphaned(long pid, Monitor m) -> new Closed(LOST_EXIT, m);
            case Closed c -> c;
        };
    }

    /** The exit status, once known. */
    default OptionalInt exitCode() {
        return switch (this) {
            case Starting s -> OptionalInt.empty();
            case Running r -> OptionalInt.empty();
            case Exited(int code, Monitor m) -> OptionalInt.of(code);
            case Orphaned o -> OptionalInt.of(LOST_EXIT);
            case Closed(int code, Monitor m) -> OptionalInt.of(code);
        };
    }

    /** Whether the exit status is known: nothing more will be written to the output, and stdin has no reader. */
    default boolean ended() {
        return exitCode().isPresent();
    }

    default Monitor monitor() {
        return switch (this) {
            case Starting s -> Monitor.NONE;
            case Running(long pid, Monitor m) -> m;
            case Exited(int code, Monitor m) -> m;
            case Orphaned(long pid, Monitor m) -> m;
            case Closed(int code, Monitor m) -> m;
        };
    }
}
