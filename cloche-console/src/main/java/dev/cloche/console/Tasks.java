package dev.cloche.console;

import dev.cloche.api.AlreadyExistsException;
import dev.cloche.api.Container;
import dev.cloche.api.ContainerNotFoundException;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.DiskLimits;
import dev.cloche.api.GardenClient;
import dev.cloche.api.GardenException;
import dev.cloche.api.ImageRef;
import dev.cloche.api.Limits;
import dev.cloche.api.MemoryLimits;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tasks of one agent and their lifetimes; the only class that creates or destroys their containers.
 *
 * <p>Lifetime rule: a task lives from {@code task.start} until {@code task.stop}, or until its last session has been
 * gone for the grace period (a session opened within the grace period cancels it), or until it idles out: a task
 * with no session at all for the idle time ends (zero: never), however it got there (never had one, or its last one
 * left and the grace period is longer). An open session keeps the task however quiet it is. Every ending kicks the
 * remaining sessions, destroys the container and forgets the task's record.
 *
 * <p>Persistence: every task is kept in the {@link TaskStore} while it lives. {@link #close()} (the agent stopping)
 * disconnects sessions but leaves containers and records; {@link #resume()} in the next run takes them up again.
 *
 * <p>Capacity: see {@link TaskBudget}. Shells waiting for a reconnect: see {@link ShellParking}.
 */
final class Tasks implements AutoCloseable {
    static final String TASK_PROPERTY = "cloche.console.task";
    static final String AGENT_PROPERTY = "cloche.console.agent";
    private static final Logger log = LoggerFactory.getLogger(Tasks.class);

    /** What a start came to. */
    sealed interface StartResult permits Started, Rejected {}

    record Started(String task) implements StartResult {}

    record Rejected(String task, String reason) implements StartResult {}

    /**
     * How long tasks live without sessions: after the last one (grace), and with none at all (idle; zero = never); and
     * how long a shell whose client dropped waits for a reconnect (zero: shells end with their connection).
     */
    record Lifetimes(Duration grace, Duration idle, Duration reconnect) {
        Lifetimes(Duration grace, Duration idle) {
            this(grace, idle, Duration.ZERO);
        }
    }

    private final GardenClient garden;
    private final String agentId;
    private final TaskBudget budget;
    private final TaskTimers timers;
    private final ShellParking shells;
    private final TaskStore store;
    private final Clock clock;
    private final Executor endings;
    private final Map<String, Task> tasks = new HashMap<>();
    private volatile Runnable onChange = () -> {};
    private boolean closed;

    /**
     * @param endings runs the endings that sessions and timers trigger (destroying a container is slow; SSH I/O threads
     *     must not wait for it)
     */
    Tasks(GardenClient garden, String agentId, long memoryBudgetMiB, long diskBudgetMiB, Lifetimes lifetimes,
          TaskStore store, Clock clock, Scheduler scheduler, Executor endings) {
        this.garden = garden;
        this.agentId = agentId;
        this.budget = new TaskBudget(agentId, memoryBudgetMiB, diskBudgetMiB);
        this.timers = new TaskTimers(this, lifetimes.grace(), lifetimes.idle(), scheduler, endings, this::end);
        this.shells = new ShellParking(this, lifetimes.reconnect(), scheduler, endings,
                t -> !closed && t.state == Task.State.READY, this::lastGone);
        this.store = store;
        this.clock = clock;
        this.endings = endings;
    }

    /** Called after every change of the reservations (a task started or gone). */
    void onChange(Runnable listener) {
        this.onChange = listener;
    }

    /**
     * Takes up the tasks a previous run of this agent kept: each whose container still exists is READY again (same
     * token, its idle countdown going on from where it was); one whose container vanished is forgotten. Containers
     * labelled with this agent that no record names are destroyed: nobody holds a token for them.
     */
    void resume() {
        Set<String> kept = new HashSet<>();
        for (TaskRecord r : store.load()) {
            Container c;
            try {
                c = garden.lookup(r.handle());
            } catch (ContainerNotFoundException gone) {
                log.info("console task ended task={} because its container vanished while the agent was away", r.task());
                store.remove(r.task());
                continue;
            }
            Task t = Task.of(r);
            t.container = Optional.of(c);
            synchronized (this) {
                t.state = Task.State.READY;
                Instant since = t.idleSince.orElse(clock.instant());
                t.idleSince = Optional.of(since);
                tasks.put(t.id(), t);
                Duration left = timers.idle().minus(Duration.between(since, clock.instant()));
                timers.armIdle(t, left.isNegative() ? Duration.ZERO : left);
                kept.add(r.handle());
            }
            log.info("console task resumed task={} idle_since={}", t.id(), t.idleSince.orElseThrow());
        }
        for (Container c : garden.containers(Map.of(AGENT_PROPERTY, agentId))) {
            if (kept.contains(c.handle())) {
                continue;
            }
            log.info("console destroying orphaned task container handle={}", c.handle());
            try {
                c.destroy();
            } catch (ContainerNotFoundException gone) {
                // destroyed by someone else since the listing: just as gone
            }
        }
        onChange.run();
    }

    StartResult start(TaskStart s) {
        Task t;
        synchronized (this) {
            if (closed) {
                return new Rejected(s.task(), "agent " + agentId + " is shutting down");
            }
            if (tasks.containsKey(s.task())) {
                return new Rejected(s.task(), "duplicate task id: " + s.task());
            }
            Optional<String> refusal = budget.refusal(s, tasks.values());
            if (refusal.isPresent()) {
                return new Rejected(s.task(), refusal.get());
            }
            t = Task.of(s, TokenHash.of(s.secureToken()));
            tasks.put(t.id(), t);
        }
        Container c;
        try {
            c = garden.create(spec(s));
        } catch (GardenException e) {
            synchronized (this) {
                tasks.remove(t.id(), t);
            }
            String reason = e instanceof AlreadyExistsException
                    ? "duplicate task id: " + s.task() + " (a container with this handle exists)"
                    : "cannot create the task's container: " + e.getMessage();
            log.warn("console task refused task={} reason=\"{}\"", s.task(), reason);
            return new Rejected(s.task(), reason);
        }
        boolean stoppedMeanwhile;
        synchronized (this) {
            t.container = Optional.of(c);
            stoppedMeanwhile = t.state != Task.State.STARTING;
            if (!stoppedMeanwhile) {
                t.state = Task.State.READY;
                t.idleSince = Optional.of(clock.instant());
                timers.armIdle(t, timers.idle());
            }
        }
        if (stoppedMeanwhile) {
            destroy(t);
            return new Rejected(s.task(), "task " + s.task() + " was stopped while starting");
        }
        try {
            save(t);
        } catch (RuntimeException e) {
            // a task the next run could not resume would be a container nobody can reach after a restart
            log.error("console task not kept, ending it task={}", t.id(), e);
            end(t, "it could not be saved");
            return new Rejected(s.task(), "cannot keep the task: " + e.getMessage());
        }
        log.info("console task started task={} memory_mib={} disk_mib={}", s.task(), t.memoryMiB(), t.diskMiB());
        onChange.run();
        return new Started(s.task());
    }

    private ContainerSpec spec(TaskStart s) {
        Limits limits = Limits.NONE.withMemory(new MemoryLimits(s.reservedMemoryMiB() << 20))
                .withDisk(new DiskLimits(0, 0, 0, s.reservedDiskMiB() << 20, DiskLimits.DiskLimitScope.TOTAL));
        ContainerSpec spec = ContainerSpec.withHandle(s.task()).withLimits(limits)
                .withProperties(Map.of(TASK_PROPERTY, s.task(), AGENT_PROPERTY, agentId));
        return s.image().isEmpty() ? spec : spec.withImage(ImageRef.of(s.image()));
    }

    /** Writes the task's record as it is now (a no-op once it is ending). */
    private void save(Task t) {
        TaskRecord r;
        synchronized (this) {
            if (t.state != Task.State.READY) {
                return;
            }
            r = t.toRecord();
        }
        store.save(r);
    }

    /** Saves, logging a failure: a lost idle start time is not worth failing a session over. */
    private void saveQuietly(Task t) {
        try {
            save(t);
        } catch (RuntimeException e) {
            log.warn("console could not update the record of task {}: {}", t.id(), e.toString());
        }
    }

    /** The task if {@code token} is its secure token (constant-time on the token), else empty. */
    Optional<Task> authenticate(String task, String token) {
        Task t;
        synchronized (this) {
            t = tasks.get(task);
        }
        // an unknown task costs the same hash and comparison as a known one
        boolean match = (t == null ? TokenHash.NO_TASK : t.token()).matches(token);
        return match && t != null ? Optional.of(t) : Optional.empty();
    }

    /** Registers a session; false when the task is not (or no longer) ready, and the session must be refused. */
    boolean openSession(Task t, ConsoleSession session) {
        boolean first;
        synchronized (this) {
            if (closed || t.state != Task.State.READY || tasks.get(t.id()) != t) {
                return false;
            }
            first = t.sessions.isEmpty();
            t.sessions.add(session);
            TaskTimers.cancel(t);
            t.idleSince = Optional.empty();
        }
        if (first) {
            saveQuietly(t);
        }
        return true;
    }

    /**
     * A session ended; the last one starts the grace period (ends the task at once when it is zero), unless a shell of
     * the task is waiting for its client to reconnect: then the grace starts when the last such shell is gone.
     */
    void closeSession(Task t, ConsoleSession session) {
        synchronized (this) {
            if (!t.sessions.remove(session) || !t.sessions.isEmpty() || t.state != Task.State.READY) {
                return;
            }
            t.idleSince = Optional.of(clock.instant());
            if (closed) {
                return; // the agent is stopping: close() keeps the record with this idle start
            }
            timers.armIdle(t, timers.idle());
        }
        saveQuietly(t);
        lastGone(t);
    }

    /** Starts the grace period (or ends the task) once the task has neither sessions nor shells left. */
    private void lastGone(Task t) {
        synchronized (this) {
            if (closed || !t.sessions.isEmpty() || !t.shells.isEmpty() || t.state != Task.State.READY) {
                return;
            }
            if (timers.armGrace(t)) {
                return;
            }
        }
        endings.execute(() -> end(t, "its last session ended"));
    }

    /** The tasks' interactive shells and those waiting for a reconnect. */
    ShellParking shells() {
        return shells;
    }

    /** Ends the task now (task.stop); false when this agent has no such task. Returns once the container is gone. */
    boolean stop(String task) {
        Task t;
        synchronized (this) {
            t = tasks.get(task);
        }
        if (t == null) {
            return false;
        }
        end(t, "it was stopped");
        return true;
    }

    private void end(Task t, String why) {
        List<ConsoleSession> kicked;
        List<ReattachableShell> shells;
        synchronized (this) {
            if (t.state == Task.State.ENDING || t.state == Task.State.GONE) {
                return;
            }
            boolean starting = t.state == Task.State.STARTING;
            t.state = Task.State.ENDING;
            cancelTimers(t);
            kicked = new ArrayList<>(t.sessions);
            t.sessions.clear();
            shells = new ArrayList<>(t.shells);
            t.shells.clear();
            if (starting) {
                return; // start() destroys the container once created
            }
        }
        log.info("console task ending task={} because {} sessions_kicked={}", t.id(), why, kicked.size());
        for (ConsoleSession s : kicked) {
            s.kick("task " + t.id() + " ended: " + why);
        }
        shells.forEach(s -> s.input.end()); // their processes end with the container
        destroy(t);
    }

    private static void cancelTimers(Task t) {
        t.shells.forEach(s -> s.expiry.ifPresent(Scheduler.Cancellable::cancel));
        TaskTimers.cancel(t);
    }

    private void destroy(Task t) {
        try {
            t.container().destroy();
        } catch (ContainerNotFoundException gone) {
            // someone else destroyed it: the task is just as gone
        } catch (GardenException e) {
            log.error("console could not destroy task container task={}", t.id(), e);
        } finally {
            synchronized (this) {
                t.state = Task.State.GONE;
                tasks.remove(t.id(), t);
            }
            store.remove(t.id());
            onChange.run();
        }
    }

    synchronized Advertisement advertisement() {
        return budget.advertisement(tasks.values());
    }

    synchronized List<String> ids() {
        return List.copyOf(tasks.keySet());
    }

    /** Each task with its open sessions and its container's handle (empty while it starts), oldest id first. */
    synchronized List<Console.TaskStatus> statuses() {
        return tasks.values().stream().map(t -> new Console.TaskStatus(t.id(), t.sessions.size(),
                        t.hasContainer() ? t.container().handle() : "", t.memoryMiB()))
                .sorted(java.util.Comparator.comparing(Console.TaskStatus::id)).toList();
    }

    /** How many SSH sessions are open on all tasks. */
    synchronized int sessions() {
        int n = 0;
        for (Task t : tasks.values()) {
            n += t.sessions.size();
        }
        return n;
    }

    /**
     * The agent stops: refuses new tasks and sessions, stops every countdown and disconnects every session, but
     * leaves the tasks' containers running and their records kept (with the idle start of now for a task that had
     * sessions), so the next run of this agent resumes them. Idempotent.
     */
    @Override
    public void close() {
        List<ConsoleSession> kicked = new ArrayList<>();
        List<ReattachableShell> parked = new ArrayList<>();
        List<Task> all;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            all = List.copyOf(tasks.values());
            Instant now = clock.instant();
            for (Task t : all) {
                cancelTimers(t);
                t.shells.stream().filter(s -> s.parked).forEach(parked::add);
                t.shells.removeAll(parked);
                if (!t.sessions.isEmpty()) {
                    t.idleSince = Optional.of(now);
                    kicked.addAll(t.sessions);
                }
            }
        }
        for (Task t : all) {
            saveQuietly(t);
        }
        // shells are not kept across a restart: a waiting one is ended now, an attached one when its session goes
        parked.forEach(ReattachableShell::kill);
        for (ConsoleSession s : kicked) {
            s.kick("the console agent " + agentId + " is stopping; the task goes on: reconnect when it is back");
        }
        log.info("console tasks kept for the next run of agent {}: {}", agentId, all.size());
    }
}
