package dev.cloche.testkit;

import dev.cloche.api.GardenException;
import dev.cloche.api.ImageInfo;
import dev.cloche.api.ImagePruneReport;
import dev.cloche.api.ImageRef;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.LayerProgress;
import dev.cloche.api.ServiceUnavailableException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * {@link FakeBackend}'s image store: a tiny in-memory catalog over a fake registry. The registry offers
 * {@link #BUSYBOX} (two layers), {@link #APP} (busybox's base layer plus one of its own, so layers are shared) and
 * {@link #BROKEN} (its second layer fails mid-pull with a {@link ServiceUnavailableException}); tests may
 * {@link #offer} more. Nothing is downloaded: a pull reports each layer started, half-way and done (or cached), and
 * a pull that fails caches nothing. An image's holders are the live containers created from it.
 */
public final class FakeImages {
    public static final String BUSYBOX = "docker:///fake/busybox#1";
    public static final String APP = "docker:///fake/app#1";
    public static final String BROKEN = "docker:///fake/broken#1";

    /** One layer: its digest and its size (the fake's download and unpacked size alike). */
    public record Layer(String digest, long size) {}

    private record Offered(List<Layer> layers, Optional<GardenException> failAtLastLayer) {}

    private record Cached(String id, String reference, List<Layer> layers, Instant lastUsed) {}

    private final Map<String, Offered> registry = new LinkedHashMap<>();
    private final Map<String, Cached> cache = new LinkedHashMap<>();
    private final Clock clock;

    FakeImages(Clock clock) {
        this.clock = clock;
        Layer base = layer("busybox-base", 1 << 20);
        offer(BUSYBOX, base, layer("busybox-etc", 512 << 10));
        offer(APP, base, layer("app", 256 << 10));
        registry.put(BROKEN, new Offered(List.of(layer("broken-1", 64 << 10), layer("broken-2", 64 << 10)),
                Optional.of(new ServiceUnavailableException("fake registry went away while sending broken-2"))));
    }

    /** A layer whose digest is the sha256 of {@code name}. */
    public static Layer layer(String name, long size) {
        return new Layer(sha256(name), size);
    }

    /** Makes the fake registry serve {@code uri} with these layers. */
    public synchronized void offer(String uri, Layer... layers) {
        registry.put(uri, new Offered(List.of(layers), Optional.empty()));
    }

    synchronized List<ImageInfo> images(Collection<FakeContainer> live) {
        List<ImageInfo> out = new ArrayList<>();
        for (Cached c : cache.values()) {
            out.add(new ImageInfo(c.id(), c.reference(), c.layers().size(), c.layers().stream().mapToLong(Layer::size).sum(),
                    holders(c.reference(), live), c.lastUsed()));
        }
        return out;
    }

    synchronized ImagePruneReport prune(Collection<FakeContainer> live) {
        Set<Layer> before = layers();
        int images = 0;
        for (Cached c : List.copyOf(cache.values())) {
            if (holders(c.reference(), live).isEmpty()) {
                cache.remove(c.reference());
                images++;
            }
        }
        Set<Layer> gone = new LinkedHashSet<>(before);
        gone.removeAll(layers());
        return new ImagePruneReport(images, gone.size(), gone.stream().mapToLong(Layer::size).sum());
    }

    /** Progress is reported outside the catalog's lock: a slow reader never holds up the other calls. */
    ImageInfo pull(ImageRef ref, Consumer<LayerProgress> progress, Collection<FakeContainer> live) {
        Offered o;
        Set<Layer> have;
        synchronized (this) {
            o = registry.get(ref.uri());
            if (o == null) {
                throw new InvalidRequestException("the fake registry has no image " + ref.uri() + " (it offers "
                        + String.join(", ", registry.keySet()) + ")");
            }
            have = layers();
        }
        for (int i = 0; i < o.layers().size(); i++) {
            Layer l = o.layers().get(i);
            if (have.contains(l)) {
                progress.accept(LayerProgress.cached(l.digest(), l.size()));
                continue;
            }
            LayerProgress p = LayerProgress.started(l.digest(), l.size());
            progress.accept(p);
            if (i == o.layers().size() - 1 && o.failAtLastLayer().isPresent()) {
                throw o.failAtLastLayer().get(); // nothing of this pull is cached
            }
            progress.accept(p.at(l.size() / 2));
            progress.accept(p.finished());
        }
        synchronized (this) {
            cache.put(ref.uri(), new Cached(sha256("config of " + ref.uri()), ref.uri(), o.layers(), clock.instant()));
            return images(live).stream().filter(i -> i.reference().equals(ref.uri())).findFirst().orElseThrow();
        }
    }

    /** A create from {@code uri}: an offered image is pulled first (silently) and marked used; anything else passes. */
    void use(String uri, Collection<FakeContainer> live) {
        boolean offered;
        synchronized (this) {
            offered = registry.containsKey(uri);
        }
        if (offered) {
            pull(ImageRef.of(uri), p -> { }, live);
        }
    }

    private Set<Layer> layers() {
        Set<Layer> all = new LinkedHashSet<>();
        cache.values().forEach(c -> all.addAll(c.layers()));
        return all;
    }

    private static List<String> holders(String reference, Collection<FakeContainer> live) {
        return live.stream().filter(c -> imageOf(c).equals(reference)).map(FakeContainer::handle).sorted().toList();
    }

    static String imageOf(FakeContainer c) {
        return c.spec().image().uri().isEmpty() ? c.spec().rootfs() : c.spec().image().uri();
    }

    private static String sha256(String s) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
