package dev.cloche.core;

import dev.cloche.api.AlreadyExistsException;
import dev.cloche.api.Capacity;
import dev.cloche.api.Container;
import dev.cloche.api.ContainerInfoEntry;
import dev.cloche.api.ContainerMetricsEntry;
import dev.cloche.api.ContainerNotFoundException;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.GardenClient;
import dev.cloche.api.GardenException;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.ResourceExhaustedException;
import dev.cloche.api.VersionedContainers;
import dev.cloche.spi.BackendContainer;
import dev.cloche.spi.BackendSpec;
import dev.cloche.spi.ContainerBackend;
import dev.cloche.spi.RestoredContainer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The core: Cloche's one implementation of {@link GardenClient} over a {@link ContainerBackend}. It owns what every
 * backend would otherwise reimplement: handles and their uniqueness, per-handle lifecycle locking, properties,
 * grace time (Garden's reaper), process ids and attachment, and rollback of half-made containers.
 */
public final class ContainerManager implements GardenClient, VersionedContainers {
    private static final Logger log = LoggerFactory.getLogger(ContainerManager.class);

    private final ContainerBackend backend;
    private final CoreConfig config;
    private final ContainerStore store;
    private final ScheduledExecutorService scheduler;
    private final ConcurrentMap<String, ManagedContainer> containers = new ConcurrentHashMap<>();
    private final long maxContainers;

    private ContainerManager(ContainerBackend backend, CoreConfig config, ContainerStore store) {
        this.backend = backend;
        this.config = config;
        this.store = store;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cloche-grace-reaper");
            t.setDaemon(true);
            return t;
        });
        this.maxContainers = backend.capacity().maxContainers();
    }

    /** A core that keeps properties and grace times in memory only. */
    public static ContainerManager start(ContainerBackend backend, CoreConfig config) {
        return start(backend, config, ContainerStore.NONE);
    }

    /**
     * Builds the core and restores the containers the backend finds, with the properties and grace time the store
     * kept for them (timers re-armed in full).
     */
    public static ContainerManager start(ContainerBackend backend, CoreConfig config, ContainerStore store) {
        ContainerManager m = new ContainerManager(backend, config, store);
        for (RestoredContainer r : backend.restore()) {
            Optional<ContainerStore.Saved> saved = Optional.empty();
            try {
                saved = store.load(r.handle());
            } catch (GardenException e) {
                log.error("saved state unreadable handle={} error={}", r.handle(), e.getMessage());
            }
            Duration grace = saved.map(ContainerStore.Saved::graceTime).orElse(config.defaultGraceTime());
            ManagedContainer c = new ManagedContainer(r.handle(), m, m.newTimer(r.handle(), grace));
            if (r.container().isPresent()) {
                c.restored(r.container().get(), saved.map(ContainerStore.Saved::properties).orElse(Map.of()),
                        saved.map(ContainerStore.Saved::version).orElse(1L));
                log.info("restored container handle={}", r.handle());
            } else {
                c.broken(r.error().orElse("unknown reason"));
                log.error("container could not be restored handle={} reason={}", r.handle(), r.error().orElse(""));
            }
            m.containers.put(r.handle(), c);
            c.timer().arm();
        }
        return m;
    }

    @Override
    public void ping() {
        // The core has no failure mode that makes it unrecoverable; a backend that is broken reports on use.
    }

    @Override
    public Capacity capacity() {
        try {
            return backend.capacity();
        } catch (RuntimeException e) {
            throw Errors.wrap("capacity", e);
        }
    }

    @Override
    public Container create(ContainerSpec spec) {
        String handle = spec.handle().isEmpty() ? UUID.randomUUID().toString() : spec.handle();
        validateHandle(handle);
        Duration grace = spec.graceTime().isZero() ? config.defaultGraceTime() : spec.graceTime();
        ManagedContainer reserved = new ManagedContainer(handle, this, newTimer(handle, grace));
        if (containers.putIfAbsent(handle, reserved) != null) {
            throw new AlreadyExistsException("Handle '" + handle + "' already in use");
        }
        long started = System.nanoTime();
        try {
            if (containers.size() > maxContainers) {
                throw new ResourceExhaustedException("cannot create container " + handle + ": the maximum of "
                        + maxContainers + " containers is reached");
            }
            BackendContainer created = backend.create(new BackendSpec(spec.withHandleValue(handle)));
            try {
                reserved.created(created, spec.properties());
                reserved.persist();
            } catch (RuntimeException e) {
                try {
                    created.destroy();
                } catch (RuntimeException undo) {
                    e.addSuppressed(undo);
                }
                throw e;
            }
        } catch (RuntimeException e) {
            containers.remove(handle, reserved);
            log.warn("create failed handle={} error={}", handle, e.toString());
            throw Errors.wrap("create " + handle, e);
        }
        reserved.timer().arm();
        log.info("created container handle={} grace_ms={} duration_ms={}", handle, grace.toMillis(),
                (System.nanoTime() - started) / 1_000_000);
        return reserved;
    }

    @Override
    public void destroy(String handle) {
        find(handle).destroy();
    }

    @Override
    public List<Container> containers(Map<String, String> properties) {
        List<Container> out = new ArrayList<>();
        for (ManagedContainer c : containers.values()) {
            if (c.listed() && c.matches(properties)) {
                out.add(c);
            }
        }
        return out;
    }

    @Override
    public Map<String, ContainerInfoEntry> bulkInfo(List<String> handles) {
        Map<String, ContainerInfoEntry> out = new LinkedHashMap<>();
        for (String h : handles) {
            try {
                out.put(h, ContainerInfoEntry.of(find(h).infoUnheld()));
            } catch (GardenException e) {
                out.put(h, ContainerInfoEntry.failed(e));
            }
        }
        return out;
    }

    @Override
    public Map<String, ContainerMetricsEntry> bulkMetrics(List<String> handles) {
        Map<String, ContainerMetricsEntry> out = new LinkedHashMap<>();
        for (String h : handles) {
            try {
                out.put(h, ContainerMetricsEntry.of(find(h).metricsUnheld()));
            } catch (GardenException e) {
                out.put(h, ContainerMetricsEntry.failed(e));
            }
        }
        return out;
    }

    @Override
    public Container lookup(String handle) {
        return find(handle);
    }

    @Override
    public long version(String handle) {
        return find(handle).version();
    }

    @Override
    public long commit(String handle, long expectedVersion, ConfigChange change) {
        return find(handle).commit(expectedVersion, change);
    }

    /** Stops the reaper. Containers and their processes keep running: they outlive the daemon. */
    @Override
    public void close() {
        scheduler.shutdownNow();
    }

    void forget(String handle, ManagedContainer c) {
        containers.remove(handle, c);
        try {
            store.delete(handle);
        } catch (GardenException e) {
            log.warn("cannot delete saved state handle={} error={}", handle, e.getMessage());
        }
    }

    ContainerStore store() {
        return store;
    }

    private ManagedContainer find(String handle) {
        ManagedContainer c = containers.get(handle);
        if (c == null || !c.listed()) {
            throw new ContainerNotFoundException(handle);
        }
        return c;
    }

    private GraceTimer newTimer(String handle, Duration grace) {
        return new GraceTimer(scheduler, grace, () -> reap(handle));
    }

    private void reap(String handle) {
        ManagedContainer c = containers.get(handle);
        if (c == null || !c.timer().idle()) {
            return;
        }
        // Destroy off the scheduler thread: it can take a while and must not delay other timers.
        Thread.ofVirtual().name("reap-" + handle).start(() -> {
            try {
                log.info("grace time expired, destroying handle={}", handle);
                c.destroy();
            } catch (GardenException e) {
                log.warn("reaping failed handle={} error={}", handle, e.getMessage());
            }
        });
    }

    /**
     * Garden handles travel as one URL path segment; a {@code /} could never be addressed again, and control
     * characters would corrupt logs and file names.
     */
    private static void validateHandle(String handle) {
        if (handle.isBlank() || handle.length() > 255) {
            throw new InvalidRequestException("invalid handle '" + handle + "': must be 1 to 255 characters");
        }
        for (int i = 0; i < handle.length(); i++) {
            char ch = handle.charAt(i);
            if (ch == '/' || ch < 0x20 || ch == 0x7f) {
                throw new InvalidRequestException("invalid handle '" + handle + "': must not contain '/' or control characters");
            }
        }
    }
}
