package dev.cloche.linux.image;

import dev.cloche.api.ConflictException;
import dev.cloche.api.GardenError;
import dev.cloche.api.GardenException;
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
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The image store on overlayfs (docs/images.md, "The layer store"): layers content-addressed by diff id under
 * {@link StoreLayout}, each pulled once ({@link LayerPuller}) even for concurrent acquires, an image's distinct layers
 * pulled {@value #PARALLEL_LAYERS} at a time; shifted copies and flattened trees made once ({@link TreeCopier}) and
 * kept with what they copy. Holds live in memory; records and layers on disk survive a restart. When the store is
 * over its threshold after an acquire or a release, unheld images go least recently used first, then the layers no
 * remaining image uses. Work in progress is pinned: nothing an acquire is pulling, copying or holding is collected.
 */
public final class OverlayImageStore implements ImageStore {
    /** Overlay's mount data is one page; 1 KiB of it stays for upperdir, workdir and the other options. */
    static final int LOWERDIR_BUDGET = 4096 - 1024;
    static final int PARALLEL_LAYERS = 3;
    private static final Logger LOG = LoggerFactory.getLogger(OverlayImageStore.class);

    private final StoreLayout layout;
    private final Function<ImageReference, ImageSource> sources;
    private final long rootHostId;
    private final long thresholdBytes;
    private final LayerPuller puller;
    private final LowerDirs lowerDirs;
    private final ExecutorService pulls = Executors.newVirtualThreadPerTaskExecutor();
    private final SingleFlight<String, ImageRecord> imageFlights = new SingleFlight<>();
    private final SingleFlight<String, LayerRecord> layerFlights = new SingleFlight<>();

    // guarded by this
    private final Map<String, ImageRecord> records = new HashMap<>();
    private final Map<String, LayerRecord> layers = new HashMap<>();
    private final Map<String, Set<String>> holders = new HashMap<>();
    private final List<Pin> pins = new ArrayList<>();
    private boolean closed;

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
        this.sources = Objects.requireNonNull(sources, "sources");
        this.rootHostId = rootHostId;
        this.thresholdBytes = thresholdBytes;
        Objects.requireNonNull(inodes, "inodes");
        this.puller = new LayerPuller(layout, inodes);
        this.lowerDirs = new LowerDirs(layout, new TreeCopier(inodes), rootHostId, lowerdirBudget, this);
        try {
            layout.open();
            load();
        } catch (IOException e) {
            throw GardenError.internal("cannot open the image store " + root + ": " + e.getMessage(), e);
        }
    }

    private void load() throws IOException {
        for (Path d : StoreLayout.list(layout.layers)) {
            String hex = d.getFileName().toString();
            if (!hex.matches("[0-9a-f]{64}")) continue;
            layout.readJson(d.resolve("layer.json"), LayerRecord.class).ifPresent(r -> layers.put(hex, r));
        }
        for (Path f : StoreLayout.list(layout.records)) {
            String name = f.getFileName().toString();
            if (name.startsWith(".") || !name.endsWith(".json")) continue;
            layout.readJson(f, ImageRecord.class).ifPresent(r -> records.put(r.id(), r));
        }
        LOG.info("image store {}: {} images, {} layers", layout.root, records.size(), layers.size());
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
        ImageSource source = sources.apply(ref);
        ResolvedImage image = source.resolve();
        String id = image.manifestDigest().hex();
        try (Pin pin = pin(id, image.diffIds().stream().map(Digest::hex).toList())) {
            ImageRecord rec = imageFlights.run(id, () -> pullImage(id, name, image, source, listener));
            return hold(rec, name, privileged, holder);
        }
    }

    private ImageRecord pullImage(String id, String name, ResolvedImage image, ImageSource source, PullListener listener) {
        synchronized (this) {
            ImageRecord have = records.get(id);
            if (have != null && complete(have)) {
                for (Descriptor blob : image.layers()) {
                    listener.layerStarted(blob.digest(), blob.size(), true);
                    listener.layerDone(blob.digest());
                }
                return have;
            }
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
        synchronized (this) {
            save(rec);
        }
        return rec;
    }

    private LayerRecord layer(String image, Descriptor blob, Digest diffId, ImageSource source, PullListener listener) {
        String hex = diffId.hex();
        synchronized (this) {
            LayerRecord have = layers.get(hex);
            if (have != null) {
                listener.layerStarted(blob.digest(), blob.size(), true);
                listener.layerDone(blob.digest());
                return have;
            }
        }
        listener.layerStarted(blob.digest(), blob.size(), false);
        LayerRecord r = layerFlights.run(hex, () -> {
            synchronized (this) {
                if (layers.containsKey(hex)) return layers.get(hex);
            }
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
        try (Pin pin = pin(id, List.of())) {
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

    private ImageRecord extractTarball(String id, Path path, long size, Pin pin, PullListener listener) {
        Digest progressKey = new Digest("sha256", id);
        synchronized (this) {
            ImageRecord have = records.get(id);
            if (have != null && complete(have)) {
                listener.layerStarted(progressKey, size, true);
                listener.layerDone(progressKey);
                return have;
            }
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
        synchronized (this) {
            save(rec);
        }
        return rec;
    }

    /** Renames a pulled layer into place (pinning it for {@code pin} first); if the store has it already, keeps that. */
    private LayerRecord commitLayer(LayerPuller.Pulled p, Optional<Pin> pin) {
        String hex = p.record().diffId().substring("sha256:".length());
        try {
            synchronized (this) {
                pin.ifPresent(x -> x.layers.add(hex));
                LayerRecord have = layers.get(hex);
                if (have != null) return have;
                if (!StoreLayout.commit(p.dir(), layout.layer(hex))) {
                    throw GardenError.internal("layer " + hex + " is in the image store's directory but not in its index");
                }
                layers.put(hex, p.record());
                return p.record();
            }
        } catch (IOException e) {
            throw GardenError.internal("cannot commit layer " + hex + ": " + e.getMessage(), e);
        } finally {
            Trees.deleteRecursively(p.dir()); // gone already when it was committed
        }
    }

    @Override
    public Optional<PreparedImage> reacquire(String imageId, boolean privileged, String holder) {
        ImageRecord rec;
        Pin pin;
        synchronized (this) {
            ensureOpen();
            rec = records.get(imageId);
            if (rec == null || !complete(rec)) return Optional.empty();
            pin = pin(imageId, rec.layerHexes());
        }
        try (pin) {
            return Optional.of(hold(rec, rec.reference(), privileged, holder));
        }
    }

    /** The image's lower directories, made ready (shifted or flattened), then the hold. */
    private PreparedImage hold(ImageRecord rec, String reference, boolean privileged, String holder) {
        List<Path> dirs = lowerDirs(rec, privileged);
        synchronized (this) {
            ensureOpen();
            holders.computeIfAbsent(rec.id(), k -> new TreeSet<>()).add(holder);
            trySave(records.getOrDefault(rec.id(), rec).used(reference, System.currentTimeMillis()));
        }
        return new PreparedImage(rec.id(), dirs, rec.config(), rec.bytes(), rec.inodes());
    }

    private List<Path> lowerDirs(ImageRecord rec, boolean privileged) {
        List<String> hexes;
        synchronized (this) {
            // an empty layer (its root alone) adds nothing to the stack but a mount option's worth of path
            hexes = rec.layerHexes().stream().distinct().filter(h -> layers.get(h).inodes() > 1).toList();
        }
        if (hexes.isEmpty()) hexes = List.of(rec.layerHexes().getLast());
        return lowerDirs.prepare(rec.id(), hexes, privileged);
    }

    @Override
    public void release(String imageId, String holder) {
        synchronized (this) {
            Set<String> h = holders.get(imageId);
            if (h == null || !h.remove(holder)) return;
            if (h.isEmpty()) holders.remove(imageId);
            ImageRecord r = records.get(imageId);
            if (r != null) trySave(r.used(r.reference(), System.currentTimeMillis()));
        }
        collectIfOver();
    }

    @Override
    public synchronized List<CachedImage> list() {
        return records.values().stream().sorted(Comparator.comparingLong(ImageRecord::lastUsed).reversed())
                .map(r -> new CachedImage(r.id(), r.reference(), r.diffIds().size(), r.bytes(),
                        List.copyOf(holders.getOrDefault(r.id(), Set.of())), Instant.ofEpochMilli(r.lastUsed())))
                .toList();
    }

    @Override
    public PruneReport prune() {
        ensureOpen();
        return collector().collect(true);
    }

    private void collectIfOver() {
        if (thresholdBytes >= 0) collector().collect(false);
    }

    private StoreCollector collector() {
        return new StoreCollector(this, layout, thresholdBytes);
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
        }
        pulls.shutdownNow();
    }

    private synchronized void ensureOpen() {
        if (closed) throw new ServiceUnavailableException("the image store is closed");
    }

    // --- state shared with StoreCollector, all guarded by this ---

    synchronized boolean complete(ImageRecord rec) {
        return layers.keySet().containsAll(rec.layerHexes());
    }

    Map<String, ImageRecord> records() {
        return records;
    }

    Map<String, LayerRecord> layers() {
        return layers;
    }

    boolean held(String imageId) {
        return holders.containsKey(imageId) || imageFlights.running(imageId);
    }

    Set<String> pinnedImages() {
        Set<String> out = new HashSet<>();
        for (Pin p : pins) out.add(p.imageId);
        return out;
    }

    Set<String> pinnedLayers() {
        Set<String> out = new HashSet<>();
        for (Pin p : pins) out.addAll(p.layers);
        return out;
    }

    private void save(ImageRecord rec) {
        try {
            layout.writeJson(layout.record(rec.id()), rec);
        } catch (IOException e) {
            throw GardenError.internal("cannot write the image record of " + rec.reference() + ": " + e.getMessage(), e);
        }
        records.put(rec.id(), rec);
    }

    private void trySave(ImageRecord rec) {
        try {
            save(rec);
        } catch (GardenException e) {
            LOG.warn("{}", e.getMessage());
        }
    }

    private synchronized Pin pin(String imageId, List<String> layerHexes) {
        Pin p = new Pin(imageId, new HashSet<>(layerHexes));
        pins.add(p);
        return p;
    }

    /** What an acquire in progress uses: its image and layers are not collected until it ends. */
    private final class Pin implements AutoCloseable {
        final String imageId;
        final Set<String> layers;

        Pin(String imageId, Set<String> layers) {
            this.imageId = imageId;
            this.layers = layers;
        }

        @Override
        public void close() {
            synchronized (OverlayImageStore.this) {
                pins.remove(this);
            }
        }
    }
}
