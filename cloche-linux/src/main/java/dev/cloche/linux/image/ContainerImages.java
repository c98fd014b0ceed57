package dev.cloche.linux.image;

import dev.cloche.api.GardenError;
import dev.cloche.api.ImageInfo;
import dev.cloche.api.ImagePruneReport;
import dev.cloche.api.ImageRef;
import dev.cloche.api.LayerProgress;
import dev.cloche.image.Digest;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.image.ImageConfig;
import dev.cloche.image.ImageReference;
import dev.cloche.image.PullListener;
import dev.cloche.linux.fs.ImageCache;
import dev.cloche.linux.sys.CommandRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * A container's image, whatever Garden's reference names: host directories (the default rootfs among them) are used
 * in place, shifted once for user-namespaced containers; tarballs, OCI layouts and registry images come from the
 * {@link ImageStore}, which holds them for the container until it is destroyed.
 */
public final class ContainerImages {
    private final Path defaultRootfs;
    private final String defaultRegistry;
    private final ImageCache directories;
    private final CommandRunner runner;
    private final ImageStore store;
    private final Map<Path, long[]> directorySizes = new ConcurrentHashMap<>();

    /** {@code runner} measures directory images ({@code du}); {@code directories} shifts them. */
    public ContainerImages(Path defaultRootfs, String defaultRegistry, ImageCache directories, CommandRunner runner,
                           ImageStore store) {
        this.defaultRootfs = defaultRootfs;
        this.defaultRegistry = defaultRegistry;
        this.directories = directories;
        this.runner = runner;
        this.store = store;
    }

    /** The image of a new container, held for {@code holder} (its handle): ready to stack, and held until {@link #release}. */
    public PreparedImage acquire(ImageRef ref, boolean privileged, String holder, PullListener listener) {
        ImageReference parsed = ImageReference.parse(ref, defaultRegistry);
        return switch (parsed) {
            case ImageReference.DefaultRootfs d -> {
                if (!Files.isDirectory(defaultRootfs)) {
                    throw new InvalidRequestException("no image given and the default root filesystem " + defaultRootfs
                            + " does not exist (build it with `make rootfs`, or start the daemon with --rootfs DIR)");
                }
                yield directory(defaultRootfs, privileged);
            }
            case ImageReference.HostPath p when Files.isDirectory(p.path()) -> directory(p.path(), privileged);
            case ImageReference.HostPath p when Files.isRegularFile(p.path()) -> store.acquire(p, privileged, holder, listener);
            case ImageReference.HostPath p -> throw new InvalidRequestException("image " + ref.uri()
                    + " names neither a directory nor a rootfs tarball on the host");
            case ImageReference.Registry r -> store.acquire(r, privileged, holder, listener);
            case ImageReference.OciLayout o -> store.acquire(o, privileged, holder, listener);
        };
    }

    /** After a restart: the store holds the image of a restored container again (a directory image needs nothing). */
    public void reacquire(String storeId, boolean privileged, String holder) {
        if (!storeId.isEmpty()) store.reacquire(storeId, privileged, holder);
    }

    /** The container is gone: its store image may be collected. Idempotent. */
    public void release(String storeId, String holder) {
        if (!storeId.isEmpty()) store.release(storeId, holder);
    }

    public ImageStore store() {
        return store;
    }

    /** What the store keeps, for {@code cloche images}. */
    public List<ImageInfo> images() {
        return store.list().stream().map(ContainerImages::info).toList();
    }

    public ImagePruneReport prune() {
        PruneReport r = store.prune();
        return new ImagePruneReport(r.images(), r.layers(), r.bytes());
    }

    /**
     * Pulls a store image ahead of a create (e.g. for a progress bar) and lets it go again: held only while it is
     * pulled, unshifted (a create shifts what it needs). Directories are not in the store and are refused.
     */
    public ImageInfo pull(ImageRef ref, Consumer<LayerProgress> progress) {
        ImageReference parsed = ImageReference.parse(ref, defaultRegistry);
        boolean storeImage = switch (parsed) {
            case ImageReference.Registry r -> true;
            case ImageReference.OciLayout o -> true;
            case ImageReference.HostPath p -> Files.isRegularFile(p.path());
            case ImageReference.DefaultRootfs d -> false;
        };
        if (!storeImage) {
            throw new InvalidRequestException("image " + ref.uri() + " is a directory on the host: it is used in place, "
                    + "there is nothing to pull");
        }
        String holder = "pull/" + UUID.randomUUID();
        PreparedImage image = store.acquire(parsed, true, holder, new ProgressReport(progress));
        try {
            return store.list().stream().filter(c -> c.id().equals(image.id())).findFirst().map(ContainerImages::info)
                    .orElseThrow(() -> GardenError.internal("image " + image.id() + " vanished from the store"));
        } finally {
            store.release(image.id(), holder);
        }
    }

    private static ImageInfo info(CachedImage c) {
        // pulls hold an image only while they run: users see the containers
        List<String> handles = c.holders().stream().filter(h -> !h.startsWith("pull/")).toList();
        return new ImageInfo(c.id(), c.reference(), c.layers(), c.bytes(), handles, c.lastUsed());
    }

    /** The store's per-layer callbacks as the API's progress records, each layer's size remembered. */
    private record ProgressReport(Consumer<LayerProgress> sink, Map<Digest, Long> sizes) implements PullListener {
        ProgressReport(Consumer<LayerProgress> sink) {
            this(sink, new ConcurrentHashMap<>());
        }

        @Override
        public void layerStarted(Digest layer, long size, boolean cached) {
            sizes.put(layer, size);
            sink.accept(cached ? LayerProgress.cached(layer.toString(), size) : LayerProgress.started(layer.toString(), size));
        }

        @Override
        public void layerProgress(Digest layer, long bytes) {
            sink.accept(new LayerProgress(layer.toString(), sizes.getOrDefault(layer, 0L), bytes, false, false));
        }

        @Override
        public void layerDone(Digest layer) {
            long size = sizes.getOrDefault(layer, 0L);
            sink.accept(new LayerProgress(layer.toString(), size, size, false, true));
        }
    }

    /** A host directory: not in the store (id empty), no config, measured once (images are read-only). */
    private PreparedImage directory(Path dir, boolean privileged) {
        long[] size = directorySizes.computeIfAbsent(dir, d -> new long[] {
                firstNumber(runner.check(List.of("du", "-s", "-B1", d.toString())).stdout()),
                firstNumber(runner.check(List.of("du", "-s", "--inodes", d.toString())).stdout())});
        return new PreparedImage("", List.of(directories.lowerFor(dir, privileged)), ImageConfig.EMPTY, size[0], size[1]);
    }

    private static long firstNumber(String s) {
        try {
            return Long.parseLong(s.strip().split("\\s+")[0]);
        } catch (NumberFormatException e) {
            throw GardenError.internal("unexpected du output: " + s);
        }
    }
}
