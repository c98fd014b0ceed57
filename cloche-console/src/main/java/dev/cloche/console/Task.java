package dev.cloche.console;

import dev.cloche.api.Container;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;

/**
 * One task: its container, the hash of its token, its reservation and its sessions. Mutable state is guarded by the
 * owning {@link Tasks}' lock; other classes only read {@link #id()} and {@link #container()}.
 */
final class Task {

    /**
     * The task's lifetime. STARTING → READY (container created) → ENDING (stop, last session gone after the grace
     * period, or agent shutdown: sessions kicked, container being destroyed) → GONE. STARTING may go straight to
     * ENDING when a stop arrives while the container is being created.
     */
    enum State { STARTING, READY, ENDING, GONE }

    private final String id;
    private final byte[] tokenHash;
    private final long memoryMiB;
    private final long diskMiB;
    private final boolean allowForwarding;
    private final boolean record;
    private final boolean recordInput;
    final Set<ConsoleSession> sessions = new LinkedHashSet<>();
    State state = State.STARTING;
    volatile Optional<Container> container = Optional.empty();
    Optional<Scheduler.Cancellable> graceTimer = Optional.empty();
    Optional<Scheduler.Cancellable> idleTimer = Optional.empty();

    Task(String id, byte[] tokenHash, long memoryMiB, long diskMiB, boolean allowForwarding, boolean record,
         boolean recordInput) {
        this.allowForwarding = allowForwarding;
        this.record = record;
        this.recordInput = recordInput;
        this.id = id;
        this.tokenHash = tokenHash;
        this.memoryMiB = memoryMiB;
        this.diskMiB = diskMiB;
    }

    String id() {
        return id;
    }

    byte[] tokenHash() {
        return tokenHash;
    }

    long memoryMiB() {
        return memoryMiB;
    }

    /** Whether the task's clients may forward local ports into its container ({@code ssh -L}). */
    boolean allowForwarding() {
        return allowForwarding;
    }

    /** Whether each session is recorded (asciicast), and whether its input too. */
    boolean record() {
        return record;
    }

    boolean recordInput() {
        return recordInput;
    }

    long diskMiB() {
        return diskMiB;
    }

    Container container() {
        return container.orElseThrow(() -> new IllegalStateException("task " + id + " has no container"));
    }
}
