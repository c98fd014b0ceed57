package dev.cloche.testkit;

import dev.cloche.api.Capacity;
import dev.cloche.api.ContainerNotFoundException;
import dev.cloche.api.ImageInfo;
import dev.cloche.api.ImagePruneReport;
import dev.cloche.api.ImageRef;
import dev.cloche.api.LayerProgress;
import dev.cloche.api.Limits;
import dev.cloche.api.Signal;
import dev.cloche.spi.BackendContainer;
import dev.cloche.spi.BackendEvents;
import dev.cloche.spi.BackendSpec;
import dev.cloche.spi.ContainerBackend;
import dev.cloche.spi.RestoredContainer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * An in-memory {@link ContainerBackend} for unit tests of the layers above the SPI. Its processes are scripted
 * ({@link FakeProcess}): no container, no fork. It records calls so tests can assert on them, and can be told to
 * fail the next create. Its image store is {@link FakeImages}, a tiny catalog over a fake registry.
 */
public final class FakeBackend implements ContainerBackend {

    private final Map<String, FakeContainer> containers = new ConcurrentHashMap<>();
    private final AtomicInteger creates = new AtomicInteger();
    private final AtomicInteger destroys = new AtomicInteger();
    private volatile RuntimeException nextCreateFailure;
    private final List<RestoredContainer> restorable = new ArrayList<>();
    private final Map<String, byte[]> seededFiles = new ConcurrentHashMap<>();
    private final Map<String, RuntimeException> runFailures = new ConcurrentHashMap<>();
    private volatile Capacity capacity = new Capacity(8L << 30, 100L << 30, 100L << 30, 256);
    private volatile UnaryOperator<Limits> appliedLimits = UnaryOperator.identity();
    private volatile boolean closed;
    private volatile BackendEvents events = BackendEvents.NONE;
    private final FakeImages images = new FakeImages(Clock.systemUTC());

    @Override
    public BackendContainer create(BackendSpec spec) {
        creates.incrementAndGet();
        RuntimeException failure = nextCreateFailure;
        if (failure != null) {
            nextCreateFailure = null;
            throw failure;
        }
        FakeContainer c = new FakeContainer(spec.spec(), this);
        images.use(FakeImages.imageOf(c), containers.values()); // before it is listed: a failed pull creates nothing
        if (containers.putIfAbsent(spec.handle(), c) != null) {
            throw new IllegalStateException("backend asked to create a live handle twice: " + spec.handle());
        }
        return c;
    }

    @Override
    public List<RestoredContainer> restore() {
        return List.copyOf(restorable);
    }

    @Override
    public Capacity capacity() {
        return capacity;
    }

    /** Makes {@link #capacity} answer {@code c} from now on; the core reads max_containers when it starts. */
    public void reportCapacity(Capacity c) {
        capacity = c;
    }

    @Override
    public List<ImageInfo> images() {
        return images.images(containers.values());
    }

    @Override
    public ImagePruneReport pruneImages() {
        return images.prune(containers.values());
    }

    @Override
    public ImageInfo pullImage(ImageRef ref, Consumer<LayerProgress> progress) {
        return images.pull(ref, progress, containers.values());
    }

    /** The fake's image store, to offer more images. */
    public FakeImages imageStore() {
        return images;
    }

    @Override
    public void close() {
        closed = true;
    }

    @Override
    public void reportTo(BackendEvents events) {
        this.events = events;
    }

    /**
     * What the kernel's OOM killer does to a process of a container: reported to the core first, then the process
     * dies of SIGKILL (exit status 137), as the Linux backend reports it.
     */
    public void killForMemory(String handle, String processId) {
        FakeContainer c = container(handle);
        events.outOfMemory(handle, 1);
        c.process(processId).orElseThrow(() -> new IllegalArgumentException("no process " + processId))
                .signal(Signal.KILL);
    }

    /** Makes the next {@link #create} throw this. */
    public void failNextCreate(RuntimeException failure) {
        nextCreateFailure = failure;
    }

    /**
     * What a new container's limits become, given its spec's: a backend that enforces less than it is asked (the
     * Go backend behind the wire captures has no bandwidth limits) reports less. The spec's limits by default.
     */
    public void applyLimits(UnaryOperator<Limits> applied) {
        appliedLimits = applied;
    }

    /** A tar every container streams out at {@code path} as long as nothing was streamed in at that path. */
    public void seedFile(String path, byte[] tar) {
        seededFiles.put(path, tar.clone());
    }

    /**
     * Makes every run of {@code path}, in any container, throw {@code failure}; checked before the container's
     * state, as a backend that looks the executable up first would.
     */
    public void failRuns(String path, RuntimeException failure) {
        runFailures.put(path, failure);
    }

    /** Output readers of every live container's processes not closed yet (see {@link FakeProcess#openOutputReaders}). */
    public int openOutputReaders() {
        return containers.values().stream().mapToInt(FakeContainer::openOutputReaders).sum();
    }

    /** Containers {@link #restore()} will report, to test start-up recovery. */
    public void addRestorable(RestoredContainer c) {
        restorable.add(c);
    }

    public int createCalls() {
        return creates.get();
    }

    public int destroyCalls() {
        return destroys.get();
    }

    public boolean isClosed() {
        return closed;
    }

    /** Handles of containers the backend still holds (destroyed ones are gone). */
    public List<String> liveHandles() {
        return List.copyOf(containers.keySet());
    }

    public FakeContainer container(String handle) {
        FakeContainer c = containers.get(handle);
        if (c == null) {
            throw new ContainerNotFoundException(handle);
        }
        return c;
    }

    Limits appliedLimits(Limits asked) {
        return appliedLimits.apply(asked);
    }

    Optional<byte[]> seededFile(String path) {
        return Optional.ofNullable(seededFiles.get(path));
    }

    Optional<RuntimeException> runFailure(String path) {
        return Optional.ofNullable(runFailures.get(path));
    }

    void destroyed(String handle) {
        destroys.incrementAndGet();
        containers.remove(handle);
    }
}
