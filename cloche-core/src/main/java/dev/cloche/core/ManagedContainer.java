package dev.cloche.core;

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
import dev.cloche.api.MemoryLimits;
import dev.cloche.api.NetOutRule;
import dev.cloche.api.PortMapping;
import dev.cloche.api.Process;
import dev.cloche.api.ProcessIO;
import dev.cloche.api.ProcessNotFoundException;
import dev.cloche.api.ProcessSpec;
import dev.cloche.api.StreamInSpec;
import dev.cloche.api.StreamOutSpec;
import dev.cloche.api.VersionedContainers;
import dev.cloche.spi.BackendContainer;
import dev.cloche.spi.BackendInfo;
import dev.cloche.spi.BackendProcess;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A container as the core sees it: its lifecycle and locking over the backend's container, its configuration
 * ({@link ContainerConfig}) and its grace timer. Every per-container call holds the grace timer while it runs
 * (Garden's reaper semantics). Destroy takes the write lock; every other call the read lock, so no call runs against
 * a half-destroyed container. Nothing else is serialised here: configuration changes are ordered by the
 * {@link ContainerConfig}, process starts per id by {@link ProcessStarts}; {@link dev.cloche.spi.BackendContainer}
 * states what that gives a backend.
 */
final class ManagedContainer implements Container {
    private static final Logger log = LoggerFactory.getLogger(ManagedContainer.class);

    /** Legal transitions: CREATING→ACTIVE|gone, ACTIVE→DESTROYING, BROKEN→DESTROYING, DESTROYING→DESTROYED|ACTIVE|BROKEN. */
    enum State { CREATING, ACTIVE, BROKEN, DESTROYING, DESTROYED }

    private final String handle;
    private final ContainerConfig config;
    private final GraceTimer timer;
    /** Where this container's handle is held; it releases the handle when its destroy succeeded. */
    private final ContainerRegistry registry;
    private final CoreEvents events;
    private final ProcessStarts starts = new ProcessStarts();
    /** The operator's limits on a pea's host bind mounts. */
    private final CreatePolicy policy;
    private final ReadWriteLock lock = new ReentrantReadWriteLock();
    private volatile State state = State.CREATING;
    private volatile BackendContainer backend;
    private volatile String brokenReason = "";
    /** What the backend's destroy of a broken container runs (its leftovers); empty: nothing to remove. */
    private volatile Optional<Runnable> leftovers = Optional.empty();

    ManagedContainer(String handle, ContainerConfig config, GraceTimer timer, ContainerRegistry registry,
                     CreatePolicy policy, CoreEvents events) {
        this.handle = handle;
        this.events = events;
        this.config = config;
        this.timer = timer;
        this.registry = registry;
        this.policy = policy;
    }

    /** The backend built it (create) or found it again (restore). */
    void created(BackendContainer b) {
        this.backend = b;
        state = State.ACTIVE;
    }

    /** The backend found it but could not restore it; {@code leftovers} removes what is left of it on destroy. */
    void broken(String reason, Optional<Runnable> leftovers) {
        brokenReason = reason;
        this.leftovers = leftovers;
        state = State.BROKEN;
    }

    ContainerConfig config() {
        return config;
    }

    GraceTimer timer() {
        return timer;
    }

    boolean listed() {
        State s = state;
        return s == State.ACTIVE || s == State.BROKEN;
    }

    boolean matches(Map<String, String> filter) {
        return config.matches(filter);
    }

    @Override
    public String handle() {
        return handle;
    }

    @Override
    public void stop(boolean kill) {
        held("stop", () -> {
            backend().stop(kill);
            events.containerStopped(handle, config.properties(), kill);
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
                    i.containerPath(), b.processIds(), NetworkProperties.with(config.properties(), i), i.mappedPorts());
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
        return held("net in", () -> {
            PortMapping mapped = backend().netIn(hostPort, containerPort);
            events.netIn(handle, config.properties(), mapped);
            return mapped;
        });
    }

    @Override
    public void netOut(NetOutRule rule) {
        bulkNetOut(List.of(rule));
    }

    @Override
    public void bulkNetOut(List<NetOutRule> rules) {
        held("net out", () -> {
            backend().netOut(rules);
            events.netOut(handle, config.properties(), rules.size());
            return null;
        });
    }

    @Override
    public Process run(ProcessSpec spec, ProcessIO io) {
        ProcessStarts.validate(spec);
        policy.check(spec);
        return held("run", () -> {
            BackendProcess p = starts.start(backend(), spec);
            published(p);
            log.debug("started process handle={} id={} path={}", handle, p.id(), spec.path());
            return new AttachedProcess(p, io, timer);
        });
    }

    /** Started now, exited later: one exit event per process, whoever is attached, with the run's request id. */
    private void published(BackendProcess p) {
        events.processStarted(handle, config.properties(), p.id());
        String requestId = CoreEvents.requestId();
        p.exit().whenComplete((status, failure) -> {
            if (failure == null) {
                events.processExited(handle, config.properties(), p.id(), status, requestId);
            }
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

    /**
     * Under the read lock like every other change, so a destroy cannot delete the saved state while this saves it;
     * no hold: setting the grace time restarts the countdown in full anyway.
     */
    @Override
    public void setGraceTime(Duration graceTime) {
        ContainerConfig.checkGraceTime(graceTime);
        read("set grace time", () -> {
            config.setGraceTime(graceTime);
            return null;
        });
    }

    /** The configuration version (see {@link VersionedContainers}). */
    long version() {
        return read("version", config::version);
    }

    /** One multi-change commit, all or nothing, if the version is still {@code expected}. */
    long commit(long expected, VersionedContainers.ConfigChange change) {
        return held("commit", () -> config.commit(expected, change, this, this::backend));
    }

    @Override
    public Map<String, String> properties() {
        return held("properties", config::properties);
    }

    @Override
    public String property(String name) {
        return held("property", () -> config.property(name)
                .orElseThrow(() -> new InvalidRequestException("property does not exist: " + name)));
    }

    @Override
    public void setProperty(String name, String value) {
        ContainerConfig.checkPropertyName(name);
        held("set property", () -> {
            config.setProperty(name, value);
            return null;
        });
    }

    @Override
    public void removeProperty(String name) {
        held("remove property", () -> {
            config.removeProperty(name);
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
            } else {
                leftovers.ifPresent(Runnable::run);
            }
            Map<String, String> properties = config.properties();
            state = State.DESTROYED;
            registry.release(this);
            config.forget();
            events.containerDestroyed(handle, properties);
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

    /** Runs a call under the read lock while holding the grace timer. */
    private <T> T held(String what, Supplier<T> call) {
        timer.hold();
        try {
            return read(what, call);
        } finally {
            timer.release();
        }
    }

    /** Runs a call under the read lock, on a listed container, with only {@code GardenException}s leaving it. */
    private <T> T read(String what, Supplier<T> call) {
        lock.readLock().lock();
        try {
            if (!listed()) {
                throw new ContainerNotFoundException(handle);
            }
            return call.get();
        } catch (RuntimeException e) {
            throw Errors.wrap(what + " " + handle, e);
        } finally {
            lock.readLock().unlock();
        }
    }
}
