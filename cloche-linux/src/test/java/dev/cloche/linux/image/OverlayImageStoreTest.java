package dev.cloche.linux.image;

import static dev.cloche.linux.image.FakeSource.GZIP;
import static dev.cloche.linux.image.FakeSource.PLAIN;
import static dev.cloche.linux.image.FakeSource.ZSTD;
import static dev.cloche.linux.image.FakeSource.gzipLayer;
import static dev.cloche.linux.image.FakeSource.layer;
import static dev.cloche.linux.image.LayerTar.MTIME;
import static dev.cloche.linux.image.LayerTar.tar;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.InvalidRequestException;
import dev.cloche.image.Digest;
import dev.cloche.image.ImageConfig;
import dev.cloche.image.ImageReference;
import dev.cloche.image.PullListener;
import dev.cloche.linux.sys.FakeInodes;
import dev.cloche.linux.sys.InodeStat;
import dev.cloche.tar.HostileTars;
import dev.cloche.tar.TarEntry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The layer store over a fake kernel seam (no root) and fake image sources (layers built in memory). */
class OverlayImageStoreTest {
    private static final long ROOT_HOST_ID = 100000;
    private static final ImageConfig CONFIG = new ImageConfig(List.of("PATH=/bin"), "1000", "/home");

    @TempDir
    Path dir;
    private final FakeInodes inodes = new FakeInodes();
    private final Map<String, FakeSource> registry = new java.util.concurrent.ConcurrentHashMap<>();

    private Path root() {
        return dir.resolve("images");
    }

    private OverlayImageStore store(long threshold) {
        return new OverlayImageStore(root(), this::source, ROOT_HOST_ID, threshold, inodes);
    }

    private FakeSource source(ImageReference ref) {
        FakeSource s = registry.get(((ImageReference.Registry) ref).repository());
        if (s == null) throw new InvalidRequestException("no image " + ref);
        return s;
    }

    private FakeSource image(String repo, FakeSource.Layer... layers) {
        FakeSource s = new FakeSource("localhost:5000/" + repo + ":latest", List.of(layers), CONFIG);
        registry.put(repo, s);
        return s;
    }

    private static ImageReference ref(String repo) {
        return new ImageReference.Registry("localhost:5000", repo, "latest", "", "");
    }

    private InodeStat stat(Path p) throws IOException {
        return inodes.lstat(p);
    }

    private List<String> storeTemp() throws IOException {
        return names(root().resolve("tmp"));
    }

    private static List<String> names(Path d) throws IOException {
        if (!Files.isDirectory(d)) return List.of();
        try (var s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aReferenceResolvedAMomentAgoWithTheSameCredentialsIsNotResolvedAgain() throws IOException {
        FakeSource s = image("burst", gzipLayer(tar().dir("a").file("a/f", "f").bytes()));
        try (OverlayImageStore store = store(-1)) {
            for (int i = 0; i < 3; i++) store.acquire(ref("burst"), true, "c" + i, PullListener.NONE);
            assertThat(s.resolves.get()).as("one manifest request for a burst of creates").isEqualTo(1);
            store.acquire(new ImageReference.Registry("localhost:5000", "burst", "latest", "alice", "pw"), true, "c9",
                    PullListener.NONE);
            assertThat(s.resolves.get()).as("other credentials are checked by the registry again").isEqualTo(2);
        }
    }

    @Test
    void whiteoutsBecomeOverlayWhiteoutsAndOpaqueMarkersOpaqueDirectories() throws IOException {
        image("app", gzipLayer(tar().dir("a").file("a/keep", "k").file("a/gone", "g").dir("o").file("o/old", "o").bytes()),
                gzipLayer(tar().dir("a").whiteout("a", "gone").dir("o").opaque("o").file("o/new", "n").whiteout("", "top").bytes()));
        try (OverlayImageStore store = store(-1)) {
            PreparedImage img = store.acquire(ref("app"), true, "c1", PullListener.NONE);
            assertThat(img.lowerDirs()).hasSize(2);
            assertThat(img.config()).isEqualTo(CONFIG);
            Path lower = img.lowerDirs().get(0);
            Path upper = img.lowerDirs().get(1);
            assertThat(Files.readString(lower.resolve("a/gone"))).isEqualTo("g");
            assertThat(stat(upper.resolve("a/gone")).isWhiteout()).isTrue();
            assertThat(stat(upper.resolve("top")).isWhiteout()).isTrue();
            assertThat(inodes.xattrs(upper.resolve("o"))).containsKey("trusted.overlay.opaque");
            assertThat(new String(inodes.xattrs(upper.resolve("o")).get("trusted.overlay.opaque"), StandardCharsets.US_ASCII)).isEqualTo("y");
            assertThat(inodes.xattrs(lower.resolve("o"))).doesNotContainKey("trusted.overlay.opaque");
            assertThat(names(upper.resolve("o"))).containsExactly("new");
            assertThat(names(upper.resolve("a"))).containsExactly("gone");
        }
    }

    @Test
    void keepsModesOwnersTimesXattrsLinksAndFifosButMakesNoDevices() throws IOException {
        TarEntry setuid = new TarEntry("bin/su", TarEntry.Type.FILE, 04755, 0, 0, 2, "", MTIME,
                Map.of("security.capability", new byte[] {1, 0, 0, 2}, "user.note", "hi".getBytes(StandardCharsets.UTF_8),
                        "trusted.overlay.redirect", "/etc".getBytes(StandardCharsets.UTF_8)));
        TarEntry owned = new TarEntry("home/u/file", TarEntry.Type.FILE, 0600, 1000, 1001, 1, "", MTIME, Map.of());
        TarEntry privateDir = new TarEntry("home/u", TarEntry.Type.DIRECTORY, 0700, 1000, 1001, 0, "", MTIME, Map.of());
        image("modes", gzipLayer(tar().dir("bin").entry(setuid, "su").dir("home").entry(privateDir, "").entry(owned, "x")
                .hardLink("bin/su2", "bin/su").symlink("bin/sh", "/bin/busybox").symlink("bin/up", "../home")
                .node("pipe", TarEntry.Type.FIFO, 0640).node("null", TarEntry.Type.CHARACTER_DEVICE, 0666)
                .node("sda", TarEntry.Type.BLOCK_DEVICE, 0660).bytes()));
        try (OverlayImageStore store = store(-1)) {
            Path l = store.acquire(ref("modes"), true, "c1", PullListener.NONE).lowerDirs().get(0);
            InodeStat su = stat(l.resolve("bin/su"));
            assertThat(su.permissions()).isEqualTo(04755);
            assertThat(su.modified()).isEqualTo(MTIME);
            assertThat(inodes.xattrs(l.resolve("bin/su"))).containsKeys("security.capability", "user.note")
                    .doesNotContainKey("trusted.overlay.redirect");
            assertThat(stat(l.resolve("bin/su2")).ino()).isEqualTo(su.ino());
            assertThat(Files.readSymbolicLink(l.resolve("bin/sh"))).isEqualTo(Path.of("/bin/busybox"));
            assertThat(Files.readSymbolicLink(l.resolve("bin/up"))).isEqualTo(Path.of("../home"));
            InodeStat file = stat(l.resolve("home/u/file"));
            assertThat(List.of(file.uid(), file.gid(), (long) file.permissions())).containsExactly(1000L, 1001L, 0600L);
            InodeStat u = stat(l.resolve("home/u"));
            assertThat(List.of(u.uid(), (long) u.permissions())).containsExactly(1000L, 0700L);
            assertThat(u.modified()).isEqualTo(MTIME);
            assertThat(stat(l.resolve("pipe")).isFifo()).isTrue();
            assertThat(stat(l.resolve("pipe")).permissions()).isEqualTo(0640);
            assertThat(l.resolve("null")).doesNotExist();
            assertThat(l.resolve("sda")).doesNotExist();
        }
    }

    @Test
    void everyHostileLayerIsRefusedAndLeavesNothing() throws IOException {
        Path target = dir.resolve("escape-target");
        int refused = 0;
        for (HostileTars.Case c : HostileTars.corpus(target.toString())) {
            // devices and FIFOs are not hostile here: FIFOs are made, devices skipped (tested above)
            if (c.reason().equals("device node") || c.reason().equals("FIFO")) continue;
            image("hostile", layer(c.tar(), PLAIN));
            try (OverlayImageStore store = store(-1)) {
                assertThatThrownBy(() -> store.acquire(ref("hostile"), true, "c", PullListener.NONE))
                        .as(c.name()).isInstanceOf(InvalidRequestException.class).hasMessageContaining(c.reason());
                assertThat(store.list()).as(c.name()).isEmpty();
            }
            assertThat(target).as(c.name()).doesNotExist();
            assertThat(names(root().resolve("layers/sha256"))).as(c.name()).isEmpty();
            assertThat(storeTemp()).as(c.name()).isEmpty();
            refused++;
        }
        assertThat(refused).isGreaterThan(20);
    }

    @Test
    void layerSpecificRefusals() throws IOException {
        Map<String, byte[]> cases = Map.of(
                "names no file", tar().file(".wh..", "").bytes(),
                "goes through bin, which is not a directory", tar().file("bin", "x").file("bin/sh", "y").bytes(),
                "not in the layer", tar().hardLink("a", "b").bytes(),
                "names the directory", tar().dir("d").hardLink("a", "d").bytes());
        for (Map.Entry<String, byte[]> c : cases.entrySet()) {
            image("bad", layer(c.getValue(), PLAIN));
            try (OverlayImageStore store = store(-1)) {
                assertThatThrownBy(() -> store.acquire(ref("bad"), true, "c", PullListener.NONE)).as(c.getKey())
                        .isInstanceOf(InvalidRequestException.class).hasMessageContaining(c.getKey());
            }
            assertThat(names(root().resolve("layers/sha256"))).isEmpty();
            assertThat(storeTemp()).isEmpty();
        }
    }

    @Test
    void aDiffIdMismatchKeepsNothingAndTheNextAcquireWorks() throws IOException {
        FakeSource.Layer good = gzipLayer(tar().file("f", "content").bytes());
        image("mismatch", good.withDiffId(Digest.sha256("something else".getBytes(StandardCharsets.UTF_8))));
        try (OverlayImageStore store = store(-1)) {
            assertThatThrownBy(() -> store.acquire(ref("mismatch"), true, "c", PullListener.NONE))
                    .isInstanceOf(InvalidRequestException.class).hasMessageContaining("the image's config says");
            assertThat(names(root().resolve("layers/sha256"))).isEmpty();
            assertThat(storeTemp()).isEmpty();
            assertThat(store.list()).isEmpty();
            image("mismatch", good);
            PreparedImage img = store.acquire(ref("mismatch"), true, "c", PullListener.NONE);
            assertThat(Files.readString(img.lowerDirs().get(0).resolve("f"))).isEqualTo("content");
        }
    }

    @Test
    void aBlobThatFailsVerificationKeepsNothingAndTheNextAcquireWorks() throws IOException {
        FakeSource s = image("corrupt", layer(tar().file("f", "content").bytes(), PLAIN));
        s.corrupt = b -> {
            byte[] c = b.clone();
            c[c.length - 1] = 1; // in the end-of-archive padding: the tar still reads, only the digest tells
            return c;
        };
        try (OverlayImageStore store = store(-1)) {
            assertThatThrownBy(() -> store.acquire(ref("corrupt"), true, "c", PullListener.NONE))
                    .isInstanceOf(InvalidRequestException.class).hasMessageContaining("blob sha256:");
            assertThat(names(root().resolve("layers/sha256"))).isEmpty();
            assertThat(storeTemp()).isEmpty();
            s.corrupt = b -> b;
            assertThat(Files.readString(store.acquire(ref("corrupt"), true, "c", PullListener.NONE).lowerDirs().get(0).resolve("f")))
                    .isEqualTo("content");
        }
    }

    @Test
    void zstdPlainAndGzipLayersAreRead() throws IOException {
        image("kinds", layer(tar().file("z", "zstd").bytes(), ZSTD), layer(tar().file("p", "plain").bytes(), PLAIN),
                layer(tar().file("g", "gzip").bytes(), GZIP));
        try (OverlayImageStore store = store(-1)) {
            List<Path> dirs = store.acquire(ref("kinds"), true, "c", PullListener.NONE).lowerDirs();
            assertThat(Files.readString(dirs.get(0).resolve("z"))).isEqualTo("zstd");
            assertThat(Files.readString(dirs.get(1).resolve("p"))).isEqualTo("plain");
            assertThat(Files.readString(dirs.get(2).resolve("g"))).isEqualTo("gzip");
        }
    }

    @Test
    void concurrentAcquiresFetchEachLayerOnceAndLayersComeInParallelBounded() throws Exception {
        List<FakeSource.Layer> layers = new ArrayList<>();
        for (int i = 0; i < 6; i++) layers.add(gzipLayer(tar().file("f" + i, "layer " + i).bytes()));
        FakeSource counting = image("busy", layers.toArray(FakeSource.Layer[]::new));
        CountDownLatch bothResolved = new CountDownLatch(2);
        counting.onResolve = bothResolved::countDown;
        // every open waits until both acquires resolved and three blobs are open (or a second passed)
        counting.gate = () -> {
            try {
                bothResolved.await(5, TimeUnit.SECONDS);
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
                while (counting.maxOpen.get() < OverlayImageStore.PARALLEL_LAYERS && System.nanoTime() < end) Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (OverlayImageStore store = store(-1)) {
            Future<PreparedImage> a = pool.submit(() -> store.acquire(ref("busy"), true, "c1", PullListener.NONE));
            Future<PreparedImage> b = pool.submit(() -> store.acquire(ref("busy"), false, "c2", PullListener.NONE));
            PreparedImage pa = a.get(30, TimeUnit.SECONDS);
            PreparedImage pb = b.get(30, TimeUnit.SECONDS);
            assertThat(pa.id()).isEqualTo(pb.id());
            for (FakeSource.Layer l : layers) assertThat(counting.opens(l)).as("opens of " + l.blob().digest()).isEqualTo(1);
            assertThat(counting.maxOpen.get()).isEqualTo(OverlayImageStore.PARALLEL_LAYERS);
            assertThat(store.list()).singleElement().satisfies(c -> assertThat(c.holders()).containsExactly("c1", "c2"));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void twoImagesSharingABaseLayerPulledAtOnceReadItOnce() throws Exception {
        FakeSource.Layer base = gzipLayer(tar().file("base", "shared").bytes());
        FakeSource one = image("one", base, gzipLayer(tar().file("one", "1").bytes()));
        FakeSource two = image("two", base, gzipLayer(tar().file("two", "2").bytes()));
        CountDownLatch both = new CountDownLatch(2);
        one.onResolve = both::countDown;
        two.onResolve = both::countDown;
        Runnable slowly = () -> {
            try {
                both.await(5, TimeUnit.SECONDS);
                Thread.sleep(100); // keep the first pull of the base in flight while the other image asks for it
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        one.gate = slowly;
        two.gate = slowly;
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (OverlayImageStore store = store(-1)) {
            Future<PreparedImage> a = pool.submit(() -> store.acquire(ref("one"), true, "c1", PullListener.NONE));
            Future<PreparedImage> b = pool.submit(() -> store.acquire(ref("two"), true, "c2", PullListener.NONE));
            assertThat(a.get(30, TimeUnit.SECONDS).lowerDirs().get(0)).isEqualTo(b.get(30, TimeUnit.SECONDS).lowerDirs().get(0));
            assertThat(one.opens(base) + two.opens(base)).isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void unprivilegedImagesGetShiftedCopiesKeptWithTheLayer() throws IOException {
        TarEntry userFile = new TarEntry("u", TarEntry.Type.FILE, 0644, 1000, 1000, 1, "", MTIME, Map.of());
        image("shift", gzipLayer(tar().dir("etc").file("etc/passwd", "root").entry(userFile, "u").symlink("l", "etc").bytes()),
                gzipLayer(tar().whiteout("", "u").dir("etc").opaque("etc").bytes()));
        try (OverlayImageStore store = store(-1)) {
            PreparedImage img = store.acquire(ref("shift"), false, "c1", PullListener.NONE);
            Path bottom = img.lowerDirs().get(0);
            Path top = img.lowerDirs().get(1);
            assertThat(bottom.getFileName().toString()).isEqualTo("shifted-" + ROOT_HOST_ID);
            assertThat(bottom.getParent().resolve("diff")).isDirectory();
            assertThat(stat(bottom).uid()).isEqualTo(ROOT_HOST_ID);
            assertThat(stat(bottom.resolve("etc/passwd")).uid()).isEqualTo(ROOT_HOST_ID);
            assertThat(stat(bottom.resolve("etc/passwd")).gid()).isEqualTo(ROOT_HOST_ID);
            assertThat(stat(bottom.resolve("l")).uid()).isEqualTo(ROOT_HOST_ID);
            assertThat(stat(bottom.resolve("u")).uid()).isEqualTo(1000);
            assertThat(stat(bottom.getParent().resolve("diff/etc/passwd")).uid()).isZero();
            assertThat(stat(top.resolve("u")).isWhiteout()).isTrue();
            assertThat(inodes.xattrs(top.resolve("etc"))).containsKey("trusted.overlay.opaque");
            int chowns = inodes.chowns();
            assertThat(store.acquire(ref("shift"), false, "c2", PullListener.NONE).lowerDirs()).isEqualTo(img.lowerDirs());
            assertThat(inodes.chowns()).as("shifted once").isEqualTo(chowns);
        }
    }

    @Test
    void imagesTooDeepForAMountAreFlattenedOnceAsStacked() throws IOException {
        image("deep", gzipLayer(tar().dir("a").file("a/one", "1").file("a/two", "2").dir("o").file("o/old", "o").file("x", "old").bytes()),
                gzipLayer(tar().dir("a").whiteout("a", "one").dir("o").opaque("o").file("o/new", "n").file("x", "new").bytes()),
                gzipLayer(tar().file("a/three", "3").hardLink("a/three-again", "a/three").bytes()));
        try (OverlayImageStore store = new OverlayImageStore(root(), this::source, ROOT_HOST_ID, -1, inodes, 100)) {
            PreparedImage img = store.acquire(ref("deep"), true, "c1", PullListener.NONE);
            assertThat(img.lowerDirs()).hasSize(1);
            Path flat = img.lowerDirs().get(0);
            assertThat(flat).isEqualTo(root().resolve("flat").resolve(img.id()).resolve("diff"));
            assertThat(names(flat.resolve("a"))).containsExactly("three", "three-again", "two");
            assertThat(names(flat.resolve("o"))).containsExactly("new");
            assertThat(Files.readString(flat.resolve("x"))).isEqualTo("new");
            assertThat(stat(flat.resolve("a/three")).ino()).isEqualTo(stat(flat.resolve("a/three-again")).ino());
            assertThat(inodes.xattrs(flat.resolve("o"))).doesNotContainKey("trusted.overlay.opaque");
            PreparedImage shifted = store.acquire(ref("deep"), false, "c2", PullListener.NONE);
            assertThat(shifted.lowerDirs()).containsExactly(root().resolve("flat").resolve(img.id()).resolve("shifted-" + ROOT_HOST_ID));
            assertThat(stat(shifted.lowerDirs().get(0).resolve("x")).uid()).isEqualTo(ROOT_HOST_ID);
        }
    }

    @Test
    void collectionNeverTakesAHeldImageAndTakesUnheldOnesLeastRecentlyUsedFirst() throws Exception {
        FakeSource.Layer base = gzipLayer(tar().file("base", "b".repeat(10000)).bytes());
        image("a", base, gzipLayer(tar().file("a", "a".repeat(10000)).bytes()));
        image("b", base, gzipLayer(tar().file("b", "b".repeat(10000)).bytes()));
        image("c", gzipLayer(tar().file("c", "c".repeat(10000)).bytes()));
        String a;
        String b;
        String c;
        try (OverlayImageStore store = store(-1)) {
            a = store.acquire(ref("a"), true, "ca", PullListener.NONE).id();
            Thread.sleep(5);
            b = store.acquire(ref("b"), true, "cb", PullListener.NONE).id();
            Thread.sleep(5);
            c = store.acquire(ref("c"), true, "cc", PullListener.NONE).id();
            store.release(a, "ca");
            Thread.sleep(5);
            store.release(b, "cb");
            store.release(b, "cb"); // idempotent
            assertThat(store.list()).hasSize(3);
        }
        List<Long> sizes = layerSizes();
        long total = sizes.stream().mapToLong(Long::longValue).sum();
        long smallest = sizes.stream().mapToLong(Long::longValue).min().orElseThrow();
        // over the threshold by less than one layer: a (least recently used) goes with its own layer; base stays for b
        try (OverlayImageStore store = store(total - smallest / 2)) {
            assertThat(store.reacquire(c, true, "cc")).isPresent();
            store.release(c, "cc");
            assertThat(store.list()).extracting(CachedImage::id).containsExactlyInAnyOrder(b, c);
            assertThat(root().resolve("layers/sha256").resolve(registry.get("a").resolve().diffIds().get(1).hex())).doesNotExist();
            assertThat(root().resolve("layers/sha256").resolve(registry.get("b").resolve().diffIds().get(0).hex())).isDirectory();
        }
        // a threshold of 0: everything unheld goes, the held image stays whole
        try (OverlayImageStore strict = store(0)) {
            assertThat(strict.reacquire(c, true, "cc")).isPresent();
            strict.acquire(ref("c"), true, "cc2", PullListener.NONE);
            assertThat(strict.list()).extracting(CachedImage::id).containsExactly(c);
            assertThat(names(root().resolve("layers/sha256"))).hasSize(1);
            strict.release(c, "cc");
            assertThat(strict.list()).hasSize(1);
            strict.release(c, "cc2");
            assertThat(strict.list()).isEmpty();
            assertThat(names(root().resolve("layers/sha256"))).isEmpty();
        }
        assertThat(storeTemp()).isEmpty();
    }

    private List<Long> layerSizes() throws IOException {
        Path layers = root().resolve("layers/sha256");
        List<Long> out = new ArrayList<>();
        for (String hex : names(layers)) {
            out.add(new tools.jackson.databind.ObjectMapper().readTree(Files.readAllBytes(layers.resolve(hex).resolve("layer.json")))
                    .get("bytes").asLong());
        }
        return out;
    }

    @Test
    void pruneRemovesEveryUnheldImageAndReportsIt() {
        image("p1", gzipLayer(tar().file("p1", "1").bytes()));
        image("p2", gzipLayer(tar().file("p2", "2").bytes()));
        try (OverlayImageStore store = store(-1)) {
            String p1 = store.acquire(ref("p1"), false, "h1", PullListener.NONE).id();
            store.acquire(ref("p2"), true, "h2", PullListener.NONE);
            store.release(p1, "h1");
            PruneReport r = store.prune();
            assertThat(r.images()).isEqualTo(1);
            assertThat(r.layers()).isEqualTo(1);
            assertThat(r.bytes()).isPositive();
            assertThat(store.list()).extracting(CachedImage::reference).containsExactly("localhost:5000/p2:latest");
        }
    }

    @Test
    void aRootfsTarballIsExtractedOnceAndKeyedByItsMtime() throws IOException {
        Path tarball = dir.resolve("rootfs.tgz");
        try (var out = new GZIPOutputStream(Files.newOutputStream(tarball))) {
            out.write(tar().dir("etc").file("etc/os-release", "ID=test").bytes());
        }
        Files.setLastModifiedTime(tarball, FileTime.from(Instant.parse("2025-01-01T00:00:00Z")));
        List<String> events = new ArrayList<>();
        PullListener listener = new PullListener() {
            @Override
            public void layerStarted(Digest layer, long size, boolean cached) {
                events.add(cached ? "cached" : "pull");
            }
        };
        try (OverlayImageStore store = store(-1)) {
            ImageReference ref = new ImageReference.HostPath(tarball);
            PreparedImage first = store.acquire(ref, true, "c1", listener);
            assertThat(Files.readString(first.lowerDirs().get(0).resolve("etc/os-release"))).isEqualTo("ID=test");
            assertThat(first.config()).isEqualTo(ImageConfig.EMPTY);
            PreparedImage again = store.acquire(ref, true, "c2", listener);
            assertThat(again.id()).isEqualTo(first.id());
            Files.setLastModifiedTime(tarball, FileTime.from(Instant.parse("2025-02-01T00:00:00Z")));
            PreparedImage touched = store.acquire(ref, true, "c3", listener);
            assertThat(touched.id()).isNotEqualTo(first.id());
            assertThat(touched.lowerDirs()).as("same content, same layer").isEqualTo(first.lowerDirs());
            assertThat(events).containsExactly("pull", "cached", "pull");
            assertThat(store.list()).hasSize(2);
            assertThatThrownBy(() -> store.acquire(new ImageReference.HostPath(dir), true, "c4", listener))
                    .isInstanceOf(InvalidRequestException.class).hasMessageContaining("is a directory");
            assertThatThrownBy(() -> store.acquire(new ImageReference.HostPath(dir.resolve("missing.tar")), true, "c4", listener))
                    .isInstanceOf(InvalidRequestException.class).hasMessageContaining("does not exist");
        }
    }

    @Test
    void aRestartKeepsImagesAndRemovesWhatAnInterruptedPullLeft() throws IOException {
        image("keep", gzipLayer(tar().file("f", "kept").bytes()));
        PreparedImage before;
        try (OverlayImageStore store = store(-1)) {
            before = store.acquire(ref("keep"), false, "c1", PullListener.NONE);
        }
        Path leftover = Files.createDirectories(root().resolve("tmp/half-pulled/diff"));
        Files.writeString(leftover.resolve("partial"), "x");
        registry.clear(); // no source: a reacquire needs none
        try (OverlayImageStore store = store(-1)) {
            assertThat(storeTemp()).isEmpty();
            assertThat(store.list()).singleElement().satisfies(c -> {
                assertThat(c.id()).isEqualTo(before.id());
                assertThat(c.holders()).isEmpty();
                assertThat(c.reference()).isEqualTo("localhost:5000/keep:latest");
                assertThat(c.bytes()).isEqualTo(before.bytes());
            });
            PreparedImage after = store.reacquire(before.id(), false, "c1").orElseThrow();
            assertThat(after).isEqualTo(before);
            assertThat(store.reacquire("0".repeat(64), false, "c1")).isEmpty();
            assertThat(store.list().getFirst().holders()).containsExactly("c1");
        }
    }

    @Test
    void progressIsReportedPerLayer() {
        FakeSource.Layer l = gzipLayer(tar().file("big", "x".repeat(1 << 20)).bytes());
        image("progress", l);
        List<String> events = new java.util.concurrent.CopyOnWriteArrayList<>();
        AtomicReference<Long> last = new AtomicReference<>(0L);
        PullListener listener = new PullListener() {
            @Override
            public void layerStarted(Digest layer, long size, boolean cached) {
                events.add("start " + layer + " " + size + " " + cached);
            }

            @Override
            public void layerProgress(Digest layer, long bytes) {
                last.set(bytes);
            }

            @Override
            public void layerDone(Digest layer) {
                events.add("done " + layer);
            }
        };
        try (OverlayImageStore store = store(-1)) {
            store.acquire(ref("progress"), true, "c", listener);
            store.acquire(ref("progress"), true, "c", listener);
        }
        String d = l.blob().digest().toString();
        assertThat(events).containsExactly("start " + d + " " + l.blob().size() + " false", "done " + d,
                "start " + d + " " + l.blob().size() + " true", "done " + d);
        assertThat(last.get()).isEqualTo(l.blob().size());
    }
}
