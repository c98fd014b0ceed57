package dev.cloche.core;

import dev.cloche.api.AlreadyExistsException;
import dev.cloche.api.BandwidthLimits;
import dev.cloche.api.ConflictException;
import dev.cloche.api.Container;
import dev.cloche.api.ContainerInfo;
import dev.cloche.api.ContainerMetrics;
import dev.cloche.api.ContainerNotFoundException;
import dev.cloche.api.CpuLimits;
import dev.cloche.api.DiskLimits;
import dev.cloche.api.GardenError;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.Limits;
import dev.cloche.api.VersionedContainers;
import dev.cloche.api.MemoryLimits;
import dev.cloche.api.NetOutRule;
import dev.cloche.api.PortMapping;
import dev.cloche.api.Process;
import dev.cloche.api.ProcessIO;
import dev.cloche.api.ProcessNotFoundException;
import dev.cloche.api.ProcessSpec;
import dev.cloche.api.StreamInSpec;
import dev.cloche.api.StreamOutSpec;
import dev.cloche.spi.BackendContainer;
import dev.cloche.spi.BackendInfo;
import dev.cloche.spi.BackendProcess;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A container as the core sees it: the backend's container plus handle, properties and grace timer. Every
 * per-container call holds the grace timer while it runs (Garden's reaper semantics). Lifecycle changes (destroy)
 * take the write lock; everything else the read lock, so no call runs against a half-destroyed container.
 */
final class ManagedContainer implements Container {
    private static final Logger log = LoggerFactory.getLogger(ManagedContainer.class);

    /** Legal transitions: CREATING→ACTIVE|gone, ACTIVE→DESTROYING, BROKEN→DESTROYING, DESTROYING→DESTROYED|ACTIVE|BROKEN. */
    enum State { CREATING, ACTIVE, BROKEN, DESTROYING, DESTROYED }

    private final String handle;
    private final ContainerManager manager;
    private final GraceTimer timer;
    private final Map<String, String> properties = new ConcurrentHashMap<>();
    private final ReadWriteLock lock = new ReentrantReadWriteLock();
    /**
     * Serialises configuration changes (Garden's single changes and multi-change commits) and guards
     * {@code version}; every change saves properties, grace time and version together, in change order.
     */
    private final ReentrantLock configLock = new ReentrantLock();
    private long version = 1;
    private volatile State state = State.CREATING;
    private volatile BackendContainer backend;
    private volatile String brokenReason = "";

    ManagedContainer(String handle, ContainerManager manager, GraceTimer timer) {
        this.handle = handle;
        this.manager = manager;
        this.timer = timer;
    }

    void created(BackendContainer b, Map<String, String> props) {
        this.backend = b;
        properties.putAll(props);
        state = State.ACTIVE;
    }

    void restored(BackendContainer b, Map<String, String> props, long savedVersion) {
        created(b, props);
        version = savedVersion;
    }

    void broken(String reason) {
        brokenReason = reason;
        state = State.BROKEN;
    }

    GraceTimer timer() {
        return timer;
    }

    boolean listed() {
        State s = state;
        return s == State.ACTIVE || s == State.BROKEN;
    }

    boolean matches(Map<String, String> filter) {
        for (Map.Entry<String, String> e : filter.entrySet()) {
            if (!e.getValue().equals(properties.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String handle() {
        return handle;
    }

    @Override
    public void stop(boolean kill) {
        held("stop", () -> {
            backend().stop(kill);
            return null;
        });
    }

    @Override
    public ContainerInfo info() {
        return held("info", this::infoUnheld);
    }

    ContainerInfo infoUnheld() {
        return read("info", () -> {
            if (state == State.BROKEN) {
                throw GardenError.internal("container " + handle + " could not be restored: " + brokenReason);
            }
            BackendContainer b = backend();
            BackendInfo i = b.info();
            return new ContainerInfo(i.state(), i.events(), i.hostIp(), i.containerIp(), "", i.externalIp(),
                    i.containerPath(), b.processIds(), NetworkProperties.with(properties, i), i.mappedPorts());
        });
    }

    @Override
    public void streamIn(StreamInSpec spec) {
        held("stream in", () -> {
            backend().streamIn(spec);
            return null;
        });
    }

    @Override
    public InputStream streamOut(StreamOutSpec spec) {
        return held("stream out", () -> backend().streamOut(spec));
    }

    @Override
    public BandwidthLimits currentBandwidthLimits() {
        return held("limits", () -> backend().limits().bandwidth());
    }

    @Override
    public CpuLimits currentCpuLimits() {
        return held("limits", () -> backend().limits().cpu());
    }

    @Override
    public DiskLimits currentDiskLimits() {
        return held("limits", () -> backend().limits().disk());
    }

    @Override
    public MemoryLimits currentMemoryLimits() {
        return held("limits", () -> backend().limits().memory());
    }

    @Override
    public PortMapping netIn(int hostPort, int containerPort) {
        return held("net in", () -> backend().netIn(hostPort, containerPort));
    }

    @Override
    public void netOut(NetOutRule rule) {
        bulkNetOut(List.of(rule));
    }

    @Override
    public void bulkNetOut(List<NetOutRule> rules) {
        held("net out", () -> {
            backend().netOut(rules);
            return null;
        });
    }

    @Override
    public Process run(ProcessSpec spec, ProcessIO io) {
        if (!spec.image().uri().isEmpty()) {
            throw new InvalidRequestException("running a process in its own image is not supported yet: " + spec.image().uri());
        }
        if (!spec.bindMounts().isEmpty()) {
            throw new InvalidRequestException("bind mounts are only allowed for processes that run in their own image");
        }
        if (spec.path().isEmpty()) {
            throw new InvalidRequestException("process spec has no path");
        }
        return held("run", () -> {
            BackendContainer b = backend();
            String id = spec.id().isEmpty() ? UUID.randomUUID().toString() : spec.id();
            b.process(id).ifPresent(existing -> {
                if (!existing.exit().isDone()) {
                    throw new AlreadyExistsException("process id '" + id + "' already in use");
                }
            });
            BackendProcess p = b.run(spec.withId(id));
            log.debug("started process handle={} id={} path={}", handle, id, spec.path());
            return new AttachedProcess(p, io, timer);
        });
    }

    @Override
    public Process attach(String processId, ProcessIO io) {
        return held("attach", () -> {
            BackendProcess p = backend().process(processId).orElseThrow(() -> new ProcessNotFoundException(processId));
            return new AttachedProcess(p, io, timer);
        });
    }

    @Override
    public ContainerMetrics metrics() {
        return held("metrics", this::metricsUnheld);
    }

    ContainerMetrics metricsUnheld() {
        return read("metrics", () -> backend().metrics());
    }

    @Override
    public void setGraceTime(Duration graceTime) {
        if (graceTime.isNegative()) {
            throw new InvalidRequestException("grace time must not be negative: " + graceTime);
        }
        live();
        configLock.lock();
        try {
            Duration old = timer.graceTime();
            timer.set(graceTime);
            try {
                save(properties, version + 1);
            } catch (RuntimeException e) {
                timer.set(old);
                throw e;
            }
            version++;
        } finally {
            configLock.unlock();
        }
    }

    /** Saves the state of a new container (version 1). */
    void persist() {
        configLock.lock();
        try {
            save(properties, version);
        } finally {
            configLock.unlock();
        }
    }

    /** Saves properties, grace time and version in one write; callers hold {@code configLock}. */
    private void save(Map<String, String> props, long v) {
        manager.store().save(handle, new ContainerStore.Saved(Map.copyOf(props), timer.graceTime(), v));
    }

    /** The configuration version (see {@link VersionedContainers}). */
    long version() {
        return read("version", () -> {
            configLock.lock();
            try {
                return version;
            } finally {
                configLock.unlock();
            }
        });
    }

    /** One multi-change commit, all or nothing, if the version is still {@code expected}. */
    long commit(long expected, VersionedContainers.ConfigChange change) {
        return held("commit", () -> {
            configLock.lock();
            try {
                if (version != expected) {
                    throw new ConflictException("version conflict on container " + handle + ": the change was prepared"
                            + " against version " + expected + " but the current version is " + version
                            + "; read it again and retry");
                }
                Transaction tx = new Transaction(expected);
                try {
                    change.apply(tx);
                    save(tx.staged, version + 1);
                } catch (RuntimeException e) {
                    tx.rollback(e);
                    throw e;
                }
                properties.clear();
                properties.putAll(tx.staged);
                return ++version;
            } finally {
                configLock.unlock();
            }
        });
    }

    /** A commit in progress; confined to the committing thread, which holds {@code configLock}. */
    private final class Transaction implements VersionedContainers.ConfigTransaction {
        private final long base;
        private final Map<String, String> staged = new HashMap<>(properties);
        private final Deque<Runnable> undo = new ArrayDeque<>();

        Transaction(long base) {
            this.base = base;
        }

        @Override
        public Container container() {
            return ManagedContainer.this;
        }

        @Override
        public long baseVersion() {
            return base;
        }

        @Override
        public Map<String, String> properties() {
            return Map.copyOf(staged);
        }

        @Override
        public void setProperty(String name, String value) {
            if (name.isEmpty()) {
                throw new InvalidRequestException("property name must not be empty");
            }
            staged.put(name, value);
        }

        @Override
        public void removeProperty(String name) {
            staged.remove(name);
        }

        @Override
        public void updateLimits(java.util.function.UnaryOperator<Limits> change) {
            BackendContainer b = backend();
            Limits old = b.limits();
            b.updateLimits(change.apply(old));
            undo.push(() -> b.updateLimits(old));
        }

        @Override
        public void onRollback(Runnable action) {
            undo.push(action);
        }

        /** Undoes in reverse order; every undo runs, and their failures are attached to the cause. */
        void rollback(RuntimeException cause) {
            while (!undo.isEmpty()) {
                try {
                    undo.pop().run();
                } catch (RuntimeException e) {
                    log.error("commit rollback step failed handle={} error={}", handle, e.toString());
                    cause.addSuppressed(e);
                }
            }
        }
    }

    @Override
    public Map<String, String> properties() {
        return held("properties", () -> Map.copyOf(properties));
    }

    @Override
    public String property(String name) {
        return held("property", () -> {
            String v = properties.get(name);
            if (v == null) {
                throw new InvalidRequestException("property does not exist: " + name);
            }
            return v;
        });
    }

    @Override
    public void setProperty(String name, String value) {
        if (name.isEmpty()) {
            throw new InvalidRequestException("property name must not be empty");
        }
        held("set property", () -> {
            configLock.lock();
            try {
                Map<String, String> next = new HashMap<>(properties);
                next.put(name, value);
                save(next, version + 1);
                properties.put(name, value);
                version++;
            } finally {
                configLock.unlock();
            }
            return null;
        });
    }

    @Override
    public void removeProperty(String name) {
        held("remove property", () -> {
            configLock.lock();
            try {
                if (properties.containsKey(name)) {
                    Map<String, String> next = new HashMap<>(properties);
                    next.remove(name);
                    save(next, version + 1);
                    properties.remove(name);
                    version++;
                }
            } finally {
                configLock.unlock();
            }
            return null;
        });
    }

    @Override
    public void destroy() {
        synchronized (this) {
            switch (state) {
                case DESTROYING -> throw new ConflictException("container already being destroyed: " + handle);
                case DESTROYED, CREATING -> throw new ContainerNotFoundException(handle);
                case ACTIVE, BROKEN -> state = State.DESTROYING;
            }
        }
        timer.defuse();
        lock.writeLock().lock();
        long started = System.nanoTime();
        try {
            if (backend != null) {
                backend.destroy();
            }
            state = State.DESTROYED;
            manager.forget(handle, this);
            log.info("destroyed container handle={} duration_ms={}", handle, (System.nanoTime() - started) / 1_000_000);
        } catch (RuntimeException e) {
            // Keep it listed so the user sees it and can destroy again; the backend's destroy is idempotent.
            state = backend != null ? State.ACTIVE : State.BROKEN;
            log.error("destroy failed handle={} error={}", handle, e.toString());
            throw Errors.wrap("destroy " + handle, e);
        } finally {
            lock.writeLock().unlock();
        }
    }

    private BackendContainer backend() {
        if (state == State.BROKEN) {
            throw GardenError.internal("container " + handle + " could not be restored: " + brokenReason
                    + "; its data is kept until it is destroyed");
        }
        return backend;
    }

    private void live() {
        if (!listed()) {
            throw new ContainerNotFoundException(handle);
        }
    }

    /** Runs a call under the read lock while holding the grace timer. */
    private <T> T held(String what, Supplier<T> call) {
        timer.hold();
        try {
            return read(what, call);
        } finally {
            timer.release();
        }
    }

    private <T> T read(String what, Supplier<T> call) {
        lock.readLock().lock();
        try {
            live();
            return call.get();
        } catch (RuntimeException e) {
            throw Errors.wrap(what + " " + handle, e);
        } finally {
            lock.readLock().unlock();
        }
    }
}
