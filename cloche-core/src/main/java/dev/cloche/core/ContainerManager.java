package dev.cloche.core;

import dev.cloche.api.Capacity;
import dev.cloche.api.Container;
import dev.cloche.api.ContainerInfoEntry;
import dev.cloche.api.ContainerMetricsEntry;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.EventFilter;
import dev.cloche.api.EventReplay;
import dev.cloche.api.EventSource;
import dev.cloche.api.EventSubscription;
import dev.cloche.api.GardenClient;
import dev.cloche.api.GardenException;
import dev.cloche.api.ImageCatalog;
import dev.cloche.api.ImageInfo;
import dev.cloche.api.ImagePruneReport;
import dev.cloche.api.ImageRef;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.LayerProgress;
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
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The core: Cloche's one implementation of {@link GardenClient} over a {@link ContainerBackend}. It owns what every
 * backend would otherwise reimplement: handles and their uniqueness, per-handle lifecycle locking, properties,
 * grace time (Garden's reaper), process ids and attachment, and rollback of half-made containers. Images are the
 * backend's: as an {@link ImageCatalog} the core only refuses malformed requests and passes the rest on. As an
 * {@link EventSource} it publishes what it sees happen (and the OOM kills its backend reports) to subscribers.
 */
public final class ContainerManager implements GardenClient, VersionedContainers, ImageCatalog, EventSource {
    /** Longer than any image reference a person or a registry makes; a bound on what reaches the backend. */
    static final int MAX_IMAGE_URI = 4096;

    private static final Logger log = LoggerFactory.getLogger(ContainerManager.class);

    private final ContainerBackend backend;
    private final CoreConfig config;
    private final ContainerStore store;
    private final ScheduledExecutorService scheduler;
    private final ContainerRegistry registry;
    private final EventHub hub = EventHub.standard();
    private final CoreEvents events = new CoreEvents(hub);

    private ContainerManager(ContainerBackend backend, CoreConfig config, ContainerStore store) {
        this.backend = backend;
        this.config = config;
        this.store = store;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cloche-grace-reaper");
            t.setDaemon(true);
            return t;
        });
        this.registry = new ContainerRegistry(backend.capacity().maxContainers(), backend.containerBound());
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
        backend.reportTo(m::outOfMemory);
        for (RestoredContainer r : backend.restore()) {
            Optional<ContainerStore.Saved> saved = Optional.empty();
            try {
                saved = store.load(r.handle());
            } catch (GardenException e) {
                log.error("saved state unreadable handle={} error={}", r.handle(), e.getMessage());
            }
            Duration grace = saved.map(ContainerStore.Saved::graceTime).orElse(config.defaultGraceTime());
            // A broken container gets its saved grace time only: it starts with no properties at version 1.
            Optional<ContainerStore.Saved> kept = saved.filter(s -> r.container().isPresent());
            ManagedContainer c = m.newContainer(r.handle(), grace, kept.map(ContainerStore.Saved::properties).orElse(Map.of()),
                    kept.map(ContainerStore.Saved::version).orElse(1L));
            if (r.container().isPresent()) {
                c.created(r.container().get());
                log.info("restored container handle={}", r.handle());
            } else {
                c.broken(r.error().orElse("unknown reason"), r.removeLeftovers());
                log.error("container could not be restored handle={} reason={}", r.handle(), r.error().orElse(""));
            }
            m.registry.add(c);
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
        ContainerRegistry.validateHandle(handle);
        config.createPolicy().check(spec);
        Duration grace = spec.graceTime().isZero() ? config.defaultGraceTime() : spec.graceTime();
        ManagedContainer reserved = newContainer(handle, grace, spec.properties(), 1);
        registry.reserve(reserved);
        long started = System.nanoTime();
        try {
            registry.checkCapacity(handle);
            BackendContainer created = backend.create(new BackendSpec(spec.withHandleValue(handle)));
            try {
                // saved before it is listed: if saving fails, nothing else has seen it while it is destroyed again
                reserved.config().persist();
                reserved.created(created);
            } catch (RuntimeException e) {
                try {
                    created.destroy();
                } catch (RuntimeException undo) {
                    e.addSuppressed(undo);
                }
                throw e;
            }
        } catch (RuntimeException e) {
            registry.release(reserved);
            log.warn("create failed handle={} error={}", handle, e.toString());
            throw Errors.wrap("create " + handle, e);
        }
        reserved.timer().arm();
        events.containerCreated(handle, reserved.config().properties());
        log.info("created container handle={} grace_ms={} duration_ms={}", handle, grace.toMillis(),
                (System.nanoTime() - started) / 1_000_000);
        return reserved;
    }

    @Override
    public void destroy(String handle) {
        registry.find(handle).destroy();
    }

    @Override
    public List<Container> containers(Map<String, String> properties) {
        return new ArrayList<>(registry.listed(properties));
    }

    @Override
    public Map<String, ContainerInfoEntry> bulkInfo(List<String> handles) {
        Map<String, ContainerInfoEntry> out = new LinkedHashMap<>();
        for (String h : handles) {
            try {
                out.put(h, ContainerInfoEntry.of(registry.find(h).infoUnheld()));
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
                out.put(h, ContainerMetricsEntry.of(registry.find(h).metricsUnheld()));
            } catch (GardenException e) {
                out.put(h, ContainerMetricsEntry.failed(e));
            }
        }
        return out;
    }

    @Override
    public Container lookup(String handle) {
        return registry.find(handle);
    }

    @Override
    public long version(String handle) {
        return registry.find(handle).version();
    }

    @Override
    public long commit(String handle, long expectedVersion, ConfigChange change) {
        return registry.find(handle).commit(expectedVersion, change);
    }

    @Override
    public List<ImageInfo> images() {
        try {
            return List.copyOf(backend.images());
        } catch (RuntimeException e) {
            throw Errors.wrap("images", e);
        }
    }

    @Override
    public ImagePruneReport pruneImages() {
        try {
            ImagePruneReport r = backend.pruneImages();
            log.info("pruned images images={} layers={} bytes={}", r.images(), r.layers(), r.bytes());
            return r;
        } catch (RuntimeException e) {
            throw Errors.wrap("prune images", e);
        }
    }

    @Override
    public ImageInfo pullImage(ImageRef ref, Consumer<LayerProgress> progress) {
        validateImage(ref);
        java.util.Objects.requireNonNull(progress, "progress");
        long started = System.nanoTime();
        try {
            ImageInfo image = backend.pullImage(ref, progress);
            // the reference only: ImageRef's credentials never reach a log
            events.imagePulled(image);
            log.info("pulled image uri={} id={} layers={} duration_ms={}", ref.uri(), image.id(), image.layers(),
                    (System.nanoTime() - started) / 1_000_000);
            return image;
        } catch (RuntimeException e) {
            log.warn("pull failed uri={} error={}", ref.uri(), e.getMessage());
            throw Errors.wrap("pull " + ref.uri(), e);
        }
    }

    /** What every backend may take for granted about a reference to pull: there is one, and it is one line. */
    static void validateImage(ImageRef ref) {
        String uri = ref.uri();
        if (uri.isBlank()) {
            throw new InvalidRequestException("an image reference is needed to pull (e.g. docker:///busybox#1.36)");
        }
        if (uri.length() > MAX_IMAGE_URI) {
            throw new InvalidRequestException("image reference too long (" + uri.length() + " characters, at most "
                    + MAX_IMAGE_URI + ")");
        }
        for (String part : List.of(uri, ref.username(), ref.password())) {
            if (part.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
                throw new InvalidRequestException("image reference or credentials contain control characters");
            }
        }
    }

    @Override
    public EventSubscription subscribe(EventFilter filter, EventReplay replay) {
        return hub.subscribe(filter, replay);
    }

    /** Live subscriptions (tests: one whose client went away is gone). */
    int eventSubscribers() {
        return hub.subscribers();
    }

    /** The backend saw the kernel kill processes of a container; a container the core no longer holds is ignored. */
    private void outOfMemory(String handle, long kills) {
        registry.get(handle).ifPresent(c -> events.outOfMemory(handle, c.config().properties(), kills));
    }

    /** Stops the reaper. Containers and their processes keep running: they outlive the daemon. */
    @Override
    public void close() {
        scheduler.shutdownNow();
    }

    /** A container with its configuration and grace timer, not yet registered nor backed. */
    private ManagedContainer newContainer(String handle, Duration grace, Map<String, String> properties, long version) {
        GraceTimer timer = new GraceTimer(scheduler, grace, () -> reap(handle));
        return new ManagedContainer(handle, new ContainerConfig(handle, store, timer, properties, version), timer, registry,
                config.createPolicy(), events);
    }

    private void reap(String handle) {
        ManagedContainer c = registry.get(handle).orElse(null);
        if (c == null || !c.timer().idle()) {
            return;
        }
        // Destroy off the scheduler thread: it can take a while and must not delay other timers.
        Thread.ofVirtual().name("reap-" + handle).start(() -> {
            try {
                log.info("grace time expired, destroying handle={}", handle);
                events.graceTimeExpired(handle, c.config().properties());
                c.destroy();
                config.observer().reaped(handle);
            } catch (GardenException e) {
                log.warn("reaping failed handle={} error={}", handle, e.getMessage());
                config.observer().reapFailed(handle, e);
            }
        });
    }
}
