package dev.cloche.console;

import dev.cloche.api.Container;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;

/**
 * One task: its container, the salted hash of its token, its options, reservation and sessions. Mutable state is
 * guarded by the owning {@link Tasks}' lock; other classes only read the immutable parts and {@link #container()}.
 */
final class Task {

    /**
     * The task's lifetime. STARTING → READY (container created, or resumed by a restarted agent) → ENDING (stop, idle,
     * last session gone after the grace period: sessions kicked, container being destroyed) → GONE. STARTING may go
     * straight to ENDING when a stop arrives while the container is being created.
     */
    enum State { STARTING, READY, ENDING, GONE }

    private final String id;
    private final TokenHash token;
    private final long memoryMiB;
    private final long diskMiB;
    private final String image;
    private final boolean allowForwarding;
    private final boolean record;
    private final boolean recordInput;
    final Set<ConsoleSession> sessions = new LinkedHashSet<>();
    /** Its interactive shells that may outlive their connection (attached or parked), oldest first. */
    final java.util.List<ReattachableShell> shells = new java.util.ArrayList<>();
    State state = State.STARTING;
    volatile Optional<Container> container = Optional.empty();
    Optional<Scheduler.Cancellable> graceTimer = Optional.empty();
    Optional<Scheduler.Cancellable> idleTimer = Optional.empty();
    /** Since when the task has had no session; empty while it has one. */
    Optional<Instant> idleSince = Optional.empty();

    Task(String id, TokenHash token, long memoryMiB, long diskMiB, String image, boolean allowForwarding,
         boolean record, boolean recordInput) {
        this.id = id;
        this.token = token;
        this.memoryMiB = memoryMiB;
        this.diskMiB = diskMiB;
        this.image = image;
        this.allowForwarding = allowForwarding;
        this.record = record;
        this.recordInput = recordInput;
    }

    static Task of(TaskStart s, TokenHash token) {
        return new Task(s.task(), token, s.reservedMemoryMiB(), s.reservedDiskMiB(), s.image(), s.allowForwarding(),
                s.record(), s.recordInput());
    }

    static Task of(TaskRecord r) {
        Task t = new Task(r.task(), new TokenHash(r.tokenSalt(), r.tokenHash()), r.memoryMiB(), r.diskMiB(), r.image(),
                r.allowForwarding(), r.record(), r.recordInput());
        t.idleSince = r.idleSince();
        return t;
    }

    /** What is persisted of this task now; the caller holds the owner's lock. */
    TaskRecord toRecord() {
        return new TaskRecord(id, container().handle(), token.salt(), token.hash(), memoryMiB, diskMiB, image,
                allowForwarding, record, recordInput, idleSince);
    }

    String id() {
        return id;
    }

    TokenHash token() {
        return token;
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

    boolean hasContainer() {
        return container.isPresent();
    }

    Container container() {
        return container.orElseThrow(() -> new IllegalStateException("task " + id + " has no container"));
    }
}
