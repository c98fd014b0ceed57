package dev.cloche.linux.image;

import dev.cloche.api.ConflictException;
import dev.cloche.api.GardenError;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.ServiceUnavailableException;
import dev.cloche.image.Descriptor;
import dev.cloche.image.Digest;
import dev.cloche.image.ImageConfig;
import dev.cloche.image.ImageReference;
import dev.cloche.image.ImageSource;
import dev.cloche.image.PullListener;
import dev.cloche.image.ResolvedImage;
import dev.cloche.linux.fs.Trees;
import dev.cloche.linux.sys.Inodes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The image store on overlayfs (docs/images.md, "The layer store"): layers content-addressed by diff id under
 * {@link StoreLayout}, each pulled once ({@link LayerPuller}) even for concurrent acquires, an image's distinct layers
 * pulled {@value #PARALLEL_LAYERS} at a time; shifted copies and flattened trees made once ({@link LowerDirs}) and
 * kept with what they copy. Holds live in memory; records and layers on disk survive a restart ({@link StoreIndex}).
 * When the store is over its threshold after an acquire or a release, unheld images go least recently used first,
 * then the layers no remaining image uses ({@link StoreCollector}). Nothing an acquire is pulling, copying or holding
 * is collected: it is pinned from before it looks at the store until its hold is in place.
 */
public final class OverlayImageStore implements ImageStore {
    /** How long a resolved reference is trusted without asking its registry again. */
    static final java.time.Duration RESOLUTION_TTL = java.time.Duration.ofSeconds(60);
    /** Overlay's mount data is one page; 1 KiB of it stays for upperdir, workdir and the other options. */
    static final int LOWERDIR_BUDGET = 4096 - 1024;
    static final int PARALLEL_LAYERS = 3;

    private final StoreLayout layout;
    private final StoreIndex index;
    /** Recent resolutions of tags and layouts (see {@link #resolutionKey}). */
    private final Map<String, Resolution> resolutions = new java.util.concurrent.ConcurrentHashMap<>();
    private final Function<ImageReference, ImageSource> sources;
    private final long thresholdBytes;
    private final LayerPuller puller;
    private final LowerDirs lowerDirs;
    private final ExecutorService pulls = Executors.newVirtualThreadPerTaskExecutor();
    private final SingleFlight<String, ImageRecord> imageFlights = new SingleFlight<>();
    private final SingleFlight<String, LayerRecord> layerFlights = new SingleFlight<>();
    private volatile boolean closed;

    /**
     * @param root the store's directory ({@code <depot>/images}); its path may hold neither ':' nor ',' (overlay's
     *     option separators)
     * @param rootHostId the host uid and gid container root maps to in unprivileged containers
     * @param thresholdBytes collect when the store is larger (Garden's graph_cleanup_threshold_in_mb); negative: never
     *     collect on its own, only on {@link #prune}
     */
    public OverlayImageStore(Path root, Function<ImageReference, ImageSource> sources, long rootHostId, long thresholdBytes,
                             Inodes inodes) {
        this(root, sources, rootHostId, thresholdBytes, inodes, LOWERDIR_BUDGET);
    }

    OverlayImageStore(Path root, Function<ImageReference, ImageSource> sources, long rootHostId, long thresholdBytes,
                      Inodes inodes, int lowerdirBudget) {
        if (root.toString().contains(":") || root.toString().contains(",")) {
            throw new IllegalArgumentException("the image store's path " + root + " may not contain ':' or ','");
        }
        this.layout = new StoreLayout(root.toAbsolutePath().normalize());
        this.index = new StoreIndex(layout);
        this.sources = Objects.requireNonNull(sources, "sources");
        this.thresholdBytes = thresholdBytes;
        Objects.requireNonNull(inodes, "inodes");
        this.puller = new LayerPuller(layout, inodes);
        this.lowerDirs = new LowerDirs(layout, new TreeCopier(inodes), rootHostId, lowerdirBudget, index);
        try {
            layout.open();
            index.load();
        } catch (IOException e) {
            throw GardenError.internal("cannot open the image store " + root + ": " + e.getMessage(), e);
        }
    }

    @Override
    public PreparedImage acquire(ImageReference ref, boolean privileged, String holder, PullListener listener) {
        Objects.requireNonNull(holder, "holder");
        Objects.requireNonNull(listener, "listener");
        ensureOpen();
        PreparedImage prepared = switch (ref) {
            case ImageReference.Registry r -> acquireFromSource(ref, r.name(), privileged, holder, listener);
            case ImageReference.OciLayout o -> acquireFromSource(ref, "oci://" + o.dir() + (o.tag().isEmpty() ? "" : "#" + o.tag()),
                    privileged, holder, listener);
            case ImageReference.HostPath h -> acquireTarball(h.path().toAbsolutePath().normalize(), privileged, holder, listener);
            case ImageReference.DefaultRootfs d -> throw new InvalidRequestException("the default rootfs is not an image of the image store");
        };
        collectIfOver();
        return prepared;
    }

    private PreparedImage acquireFromSource(ImageReference ref, String name, boolean privileged, String holder, PullListener listener) {
        String key = resolutionKey(ref, name);
        Resolution recent = resolutions.get(key);
        if (recent != null && System.nanoTime() - recent.atNanos() < RESOLUTION_TTL.toNanos()) {
            String id = recent.image().manifestDigest().hex();
            try (StoreIndex.Pin pin = index.pin(id, recent.image().diffIds().stream().map(Digest::hex).toList())) {
                Optional<ImageRecord> have = index.complete(id);
                if (have.isPresent()) {
                    reportCached(recent.image(), listener);
                    return hold(have.get(), name, privileged, holder);
                }
            }
        }
        ImageSource source = sources.apply(ref);
        ResolvedImage image = source.resolve();
        resolutions.put(key, new Resolution(image, System.nanoTime()));
        String id = image.manifestDigest().hex();
        try (StoreIndex.Pin pin = index.pin(id, image.diffIds().stream().map(Digest::hex).toList())) {
            ImageRecord rec = imageFlights.run(id, () -> pullImage(id, name, image, source, listener));
            return hold(rec, name, privileged, holder);
        }
    }

    /**
     * A reference resolved less than {@link #RESOLUTION_TTL} ago, with the same credentials, whose image the store
     * holds complete, is used without asking the registry again: a burst of creates of one image (a proxy's
     * environments, a test suite) costs one manifest request, not one each, and a moved tag is seen within the TTL.
     * The credentials are part of the key, so a caller without them is still asked for them by the registry.
     */
    private static String resolutionKey(ImageReference ref, String name) {
        if (ref instanceof ImageReference.Registry r) {
            return name + "\0" + r.username() + "\0" + Digest.sha256(r.password().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        return name;
    }

    private record Resolution(ResolvedImage image, long atNanos) { }

    /** Every layer of an image the store holds complete, as found in the cache. */
    private static void reportCached(ResolvedImage image, PullListener listener) {
        for (Descriptor blob : image.layers()) {
            listener.layerStarted(blob.digest(), blob.size(), true);
            listener.layerDone(blob.digest());
        }
    }

    private ImageRecord pullImage(String id, String name, ResolvedImage image, ImageSource source, PullListener listener) {
        Optional<ImageRecord> have = index.complete(id);
        if (have.isPresent()) {
            reportCached(image, listener);
            return have.get();
        }
        Semaphore slots = new Semaphore(PARALLEL_LAYERS);
        Map<String, Future<LayerRecord>> pending = new LinkedHashMap<>();
        for (int i = 0; i < image.layers().size(); i++) {
            Descriptor blob = image.layers().get(i);
            Digest diffId = image.diffIds().get(i);
            if (pending.containsKey(diffId.hex())) continue;
            try {
                pending.put(diffId.hex(), pulls.submit(() -> {
                    slots.acquire();
                    try {
                        return layer(name, blob, diffId, source, listener);
                    } finally {
                        slots.release();
                    }
                }));
            } catch (RejectedExecutionException e) {
                throw new ServiceUnavailableException("the image store is closed", e);
            }
        }
        TreeSize total = TreeSize.ZERO;
        RuntimeException failure = null;
        for (Future<LayerRecord> f : pending.values()) {
            try {
                total = total.plus(f.get().size());
            } catch (ExecutionException e) {
                if (failure == null) failure = e.getCause() instanceof RuntimeException r ? r : GardenError.internal(name + ": " + e.getCause(), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                pending.values().forEach(p -> p.cancel(true));
                throw new ServiceUnavailableException("pulling " + name + " was interrupted", e);
            }
        }
        if (failure != null) throw failure;
        ImageRecord rec = new ImageRecord(id, name, image.manifestDigest().toString(),
                image.diffIds().stream().map(Digest::toString).toList(), image.config(), total.bytes(), total.inodes(),
                System.currentTimeMillis());
        index.save(rec);
        return rec;
    }

    private LayerRecord layer(String image, Descriptor blob, Digest diffId, ImageSource source, PullListener listener) {
        String hex = diffId.hex();
        Optional<LayerRecord> have = index.layer(hex);
        if (have.isPresent()) {
            listener.layerStarted(blob.digest(), blob.size(), true);
            listener.layerDone(blob.digest());
            return have.get();
        }
        listener.layerStarted(blob.digest(), blob.size(), false);
        LayerRecord r = layerFlights.run(hex, () -> {
            Optional<LayerRecord> meanwhile = index.layer(hex);
            if (meanwhile.isPresent()) return meanwhile.get();
            LayerCompression compression = LayerCompression.ofMediaType(blob.mediaType());
            LayerPuller.Pulled p = puller.pull("image " + image + " layer " + diffId, blob.digest(), () -> source.openBlob(blob),
                    Optional.of(compression), Optional.of(diffId), listener);
            return commitLayer(p, Optional.empty());
        });
        listener.layerDone(blob.digest());
        return r;
    }

    private PreparedImage acquireTarball(Path path, boolean privileged, String holder, PullListener listener) {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(path, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            throw new InvalidRequestException("image " + path + " does not exist");
        } catch (IOException e) {
            throw new InvalidRequestException("image " + path + " cannot be read: " + e.getMessage(), e);
        }
        if (a.isDirectory()) {
            throw new InvalidRequestException("image " + path + " is a directory: directories are used as they are, not through the image store");
        }
        if (!a.isRegularFile()) throw new InvalidRequestException("image " + path + " is neither a directory nor a rootfs tarball");
        String id = tarballId(path, a);
        try (StoreIndex.Pin pin = index.pin(id, List.of())) {
            ImageRecord rec = imageFlights.run(id, () -> extractTarball(id, path, a.size(), pin, listener));
            return hold(rec, path.toString(), privileged, holder);
        }
    }

    /** Keyed by path, mtime and size: a tarball replaced or touched in place is a new image. */
    private static String tarballId(Path path, BasicFileAttributes a) {
        String key = "rootfs-tarball\0" + path + "\0" + a.lastModifiedTime().to(TimeUnit.NANOSECONDS) + "\0" + a.size();
        return Digest.sha256(key.getBytes(StandardCharsets.UTF_8)).hex();
    }

    private static Optional<String> tarballId(Path path) {
        try {
            return Optional.of(tarballId(path, Files.readAttributes(path, BasicFileAttributes.class)));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private ImageRecord extractTarball(String id, Path path, long size, StoreIndex.Pin pin, PullListener listener) {
        Digest progressKey = new Digest("sha256", id);
        Optional<ImageRecord> have = index.complete(id);
        if (have.isPresent()) {
            listener.layerStarted(progressKey, size, true);
            listener.layerDone(progressKey);
            return have.get();
        }
        listener.layerStarted(progressKey, size, false);
        LayerPuller.Pulled p = puller.pull("rootfs tarball " + path, progressKey, () -> Files.newInputStream(path),
                Optional.empty(), Optional.empty(), listener);
        if (!id.equals(tarballId(path).orElse(""))) {
            Trees.deleteRecursively(p.dir());
            throw new ConflictException("image " + path + " changed while it was extracted; nothing was kept");
        }
        LayerRecord layer = commitLayer(p, Optional.of(pin));
        listener.layerDone(progressKey);
        ImageRecord rec = new ImageRecord(id, path.toString(), "", List.of(layer.diffId()), ImageConfig.EMPTY, layer.bytes(),
                layer.inodes(), System.currentTimeMillis());
        index.save(rec);
        return rec;
    }

    private LayerRecord commitLayer(LayerPuller.Pulled p, Optional<StoreIndex.Pin> pin) {
        try {
            return index.commit(p, pin);
        } catch (IOException e) {
            throw GardenError.internal("cannot commit layer " + p.record().diffId() + ": " + e.getMessage(), e);
        } finally {
            Trees.deleteRecursively(p.dir()); // gone already when it was committed
        }
    }

    @Override
    public Optional<PreparedImage> reacquire(String imageId, boolean privileged, String holder) {
        ensureOpen();
        Optional<ImageRecord> rec = index.complete(imageId);
        if (rec.isEmpty()) return Optional.empty();
        try (StoreIndex.Pin pin = index.pin(imageId, rec.get().layerHexes())) {
            // complete again under the pin: a collection may have run in between
            if (index.complete(imageId).isEmpty()) return Optional.empty();
            return Optional.of(hold(rec.get(), rec.get().reference(), privileged, holder));
        }
    }

    /** The image's lower directories, made ready (shifted or flattened), then the hold. */
    private PreparedImage hold(ImageRecord rec, String reference, boolean privileged, String holder) {
        // an empty layer (its root alone) adds nothing to the stack but a mount option's worth of path
        List<String> hexes = index.nonEmptyLayers(rec);
        if (hexes.isEmpty()) hexes = List.of(rec.layerHexes().getLast());
        List<Path> dirs = lowerDirs.prepare(rec.id(), hexes, privileged);
        ensureOpen();
        index.hold(rec, holder, reference);
        return new PreparedImage(rec.id(), dirs, rec.config(), rec.bytes(), rec.inodes());
    }

    @Override
    public void release(String imageId, String holder) {
        if (index.release(imageId, holder)) collectIfOver();
    }

    @Override
    public List<CachedImage> list() {
        return index.list();
    }

    @Override
    public PruneReport prune() {
        ensureOpen();
        return new StoreCollector(index, layout, thresholdBytes).collect(true);
    }

    private void collectIfOver() {
        if (thresholdBytes >= 0) new StoreCollector(index, layout, thresholdBytes).collect(false);
    }

    @Override
    public void close() {
        closed = true;
        pulls.shutdownNow();
    }

    private void ensureOpen() {
        if (closed) throw new ServiceUnavailableException("the image store is closed");
    }
}
