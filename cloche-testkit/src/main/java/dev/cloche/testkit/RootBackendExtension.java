package dev.cloche.testkit;

import dev.cloche.api.ContainerSpec;
import dev.cloche.spi.BackendContainer;
import dev.cloche.spi.BackendInfo;
import dev.cloche.spi.BackendProvider;
import dev.cloche.spi.BackendSpec;
import dev.cloche.spi.ContainerBackend;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The root integration-test fixture of the Linux backend, for one test class (register it on a static field with
 * {@code @RegisterExtension}). Before the class: a temporary depot with a root filesystem and the native binaries,
 * the class's own cgroup parent and network prefix, pool and port range ({@link Builder}), and a backend built from
 * those settings. Every container its backends create or restore is tracked. After the class: the containers are
 * destroyed and the backends closed, then it proves nothing is left (runtime state, mounts under the depot, cgroups
 * of the parent in any hierarchy, processes, depot entries, nftables tables and interfaces of the prefix); anything
 * that is gets removed all the same and fails the class, named.
 *
 * <p>The testkit does not depend on a backend: backends come from the {@link BackendProvider} named {@code linux}
 * (or {@link Builder#backends}), built from settings only.
 */
public final class RootBackendExtension implements BeforeAllCallback, AfterAllCallback {
    /** How long asynchronous releases (a host veth on the backend's cleaner thread) may take after destroy or close. */
    private static final long SETTLE_MILLIS = 10_000;

    private final HostSlot slot;
    private final Map<String, String> extraSettings;
    private final Function<Map<String, String>, ContainerBackend> factory;
    private final AtomicInteger seq = new AtomicInteger();
    /** By handle: a restored container replaces the object it was restored from. */
    private final Map<String, BackendContainer> containers = new LinkedHashMap<>();
    private final List<TrackingBackend> backends = new CopyOnWriteArrayList<>();
    private volatile TrackingBackend current;
    private Path depot;
    private Map<String, String> settings;
    private HostFootprint footprint;

    private RootBackendExtension(Builder b) {
        this.slot = new HostSlot(b.cgroupParent, b.network);
        this.extraSettings = Map.copyOf(b.settings);
        this.factory = b.factory;
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        slot.claim(context.getRequiredTestClass().getName());
        depot = Files.createTempDirectory(slot.cgroupParent() + "-");
        // the user namespace's root (an unmapped host uid) must be able to reach the bundle and rootfs
        Files.setPosixFilePermissions(depot, PosixFilePermissions.fromString("rwxr-xr-x"));
        Map<String, String> s = new LinkedHashMap<>();
        s.put("depot", depot.toString());
        s.put("runtimeRoot", depot.resolve("runtime").toString());
        s.put("cgroupParent", slot.cgroupParent());
        s.put("defaultRootfs", NativeInputs.rootfs(depot).toString());
        s.put("initBinary", NativeInputs.initBinary(depot).toString());
        slot.network().ifPresentOrElse(n -> {
            s.put("networkPrefix", n.prefix());
            s.put("networkPool", n.pool());
            s.put("portPool", n.ports());
        }, () -> s.put("networkPool", "none"));
        s.putAll(extraSettings);
        settings = Map.copyOf(s);
        footprint = new HostFootprint(depot, settings.getOrDefault("runtime", "runc"), depot.resolve("runtime"),
                Path.of(settings.getOrDefault("processRoot", depot.resolve("processes").toString())), slot.cgroupParent(),
                slot.network().map(HostSlot.Network::prefix));
        List<String> stale = footprint.all();
        if (!stale.isEmpty()) {
            // a run that crashed left these: without removing them, the proof after this class would blame it
            System.err.println("removing what an earlier run of " + slot + " left: " + stale);
            footprint.sweep();
        }
        current = track(factory.apply(settings));
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (depot == null) return;
        if (footprint == null) { // the set-up failed before any backend existed
            deleteTree(depot);
            return;
        }
        List<Throwable> failures = new ArrayList<>();
        for (BackendContainer c : live()) {
            try {
                c.destroy();
            } catch (RuntimeException e) {
                failures.add(e);
            }
        }
        for (TrackingBackend b : backends) {
            try {
                b.close();
            } catch (RuntimeException e) {
                failures.add(e);
            }
        }
        List<String> left = settled(footprint::all);
        List<String> unremovable = left.isEmpty() ? List.of() : footprint.sweep();
        // never walk into a leaked mount (it could be a read-write bind of host data): then the depot stays
        if (footprint.mountsUnder(depot).isEmpty()) deleteTree(depot);
        if (!failures.isEmpty() || !left.isEmpty()) {
            AssertionError e = new AssertionError("after every container was destroyed and every backend closed: "
                    + (failures.isEmpty() ? "" : failures.size() + " destroy/close calls failed; ")
                    + (left.isEmpty() ? "nothing was left" : "left on the host " + left + (unremovable.isEmpty()
                    ? " (removed since)" : ", and could not be removed: " + unremovable + " (depot " + depot + ")")));
            failures.forEach(e::addSuppressed);
            throw e;
        }
    }

    /** The backend tests use now (a new one after {@link #reopen()}). */
    public ContainerBackend backend() {
        return current;
    }

    /** The settings the backends are built from. */
    public Map<String, String> settings() {
        return settings;
    }

    public Path depot() {
        return depot;
    }

    public Path runtimeRoot() {
        return Path.of(settings.get("runtimeRoot"));
    }

    public String cgroupParent() {
        return slot.cgroupParent();
    }

    /** A handle no other test of this run uses: {@code prefix-<pid>-<n>}. */
    public String handle(String prefix) {
        return prefix + "-" + ProcessHandle.current().pid() + "-" + seq.incrementAndGet();
    }

    public BackendContainer create(ContainerSpec spec) {
        return current.create(new BackendSpec(spec));
    }

    public BackendContainer create(String handlePrefix) {
        return create(ContainerSpec.withHandle(handle(handlePrefix)));
    }

    /** Destroys the container (through any object of its handle); it is no longer the fixture's to destroy. */
    public void destroy(BackendContainer c) {
        c.destroy();
        synchronized (containers) {
            containers.remove(c.handle());
        }
    }

    /** Containers created or restored and not destroyed through {@link #destroy}, in creation order. */
    public List<BackendContainer> live() {
        synchronized (containers) {
            return List.copyOf(containers.values());
        }
    }

    /** Another backend on the same depot and settings (closed after the class unless the test closes it). */
    public ContainerBackend open() {
        return open(Map.of());
    }

    /** Another backend on the same depot, with some settings changed. */
    public ContainerBackend open(Map<String, String> changed) {
        Map<String, String> s = new LinkedHashMap<>(settings);
        s.putAll(changed);
        return track(factory.apply(Map.copyOf(s)));
    }

    /** A daemon restart: closes the current backend and opens a new one on the same depot, which {@link #backend()} returns. */
    public ContainerBackend reopen() {
        current.close();
        current = track(factory.apply(settings));
        return current;
    }

    /** The container's id on the host: the name of its depot entry, which its runtime container and cgroups share. */
    public String idOf(BackendContainer c) {
        return Path.of(c.info().containerPath()).getFileName().toString();
    }

    /** A cgroup v1 controller's directory of the container with host id {@code id}. */
    public Path cgroup(String controller, String id) {
        return Path.of("/sys/fs/cgroup", controller, slot.cgroupParent(), id);
    }

    /** The container's cgroup directories (and any below them) in every hierarchy. */
    public List<Path> cgroupDirs(String id) {
        return footprint.cgroupDirs(id);
    }

    /** What the host still holds of a container, given its info from while it lived; empty once it is all gone. */
    public List<String> leftoversOf(BackendInfo whileLive) {
        return footprint.ofContainer(Path.of(whileLive.containerPath()).getFileName().toString(), whileLive.containerIp());
    }

    /** Everything the host holds of this class's depot, cgroup parent and prefix (empty after a clean teardown). */
    public List<String> leftovers() {
        return footprint.all();
    }

    private TrackingBackend track(ContainerBackend b) {
        TrackingBackend t = new TrackingBackend(b, c -> {
            synchronized (containers) {
                containers.put(c.handle(), c);
            }
        });
        backends.add(t);
        return t;
    }

    /**
     * The listing once it is empty, or as it is after {@link #SETTLE_MILLIS}: what a killed runtime's children, cgroup
     * removal and reaping leave takes a moment to go.
     */
    public static List<String> settled(java.util.function.Supplier<List<String>> listing) {
        long deadline = System.currentTimeMillis() + SETTLE_MILLIS;
        List<String> found = listing.get();
        while (!found.isEmpty() && System.currentTimeMillis() < deadline) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            found = listing.get();
        }
        return found;
    }

    private static void deleteTree(Path dir) {
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir, e);
        }
    }

    /** The class's slot of host resources and any further backend settings. */
    public static final class Builder {
        private String cgroupParent;
        private Optional<HostSlot.Network> network;
        private final Map<String, String> settings = new LinkedHashMap<>();
        private Function<Map<String, String>, ContainerBackend> factory = RootBackendExtension::linuxBackend;

        private Builder() {}

        /** The cgroup parent no other test class uses. */
        public Builder cgroupParent(String parent) {
            this.cgroupParent = parent;
            return this;
        }

        /** Networking on the class's own interface/nftables prefix, address pool (CIDR) and host ports (FIRST-LAST). */
        public Builder network(String prefix, String pool, String ports) {
            this.network = Optional.of(new HostSlot.Network(prefix, pool, ports));
            return this;
        }

        /** Containers get loopback only. */
        public Builder withoutNetwork() {
            this.network = Optional.empty();
            return this;
        }

        /** A further backend setting (e.g. {@code runtime=crun}); it may replace one the fixture sets. */
        public Builder setting(String key, String value) {
            settings.put(key, value);
            return this;
        }

        /** Builds backends from settings some other way than the {@code linux} provider. */
        public Builder backends(Function<Map<String, String>, ContainerBackend> backendFactory) {
            this.factory = backendFactory;
            return this;
        }

        public RootBackendExtension build() {
            if (cgroupParent == null) throw new IllegalStateException("a root test class needs its own cgroup parent");
            if (network == null) throw new IllegalStateException("say network(prefix, pool, ports) or withoutNetwork()");
            return new RootBackendExtension(this);
        }
    }

    private static ContainerBackend linuxBackend(Map<String, String> settings) {
        return ServiceLoader.load(BackendProvider.class).stream().map(ServiceLoader.Provider::get)
                .filter(p -> p.name().equals("linux")).findFirst()
                .orElseThrow(() -> new IllegalStateException("no BackendProvider named linux on the class path"))
                .create(settings);
    }
}
