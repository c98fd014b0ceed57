package dev.cloche.linux.image;

import static dev.cloche.linux.image.FakeSource.gzipLayer;
import static dev.cloche.linux.image.LayerTar.MTIME;
import static dev.cloche.linux.image.LayerTar.tar;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.InvalidRequestException;
import dev.cloche.image.ImageConfig;
import dev.cloche.image.ImageReference;
import dev.cloche.image.PullListener;
import dev.cloche.linux.sys.InodeStat;
import dev.cloche.linux.sys.Inodes;
import dev.cloche.linux.sys.Mounts;
import dev.cloche.tar.TarEntry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The layer store with the real kernel (root): layers extracted with real owners, whiteouts and xattrs, stacked in a
 * real read-only overlay mount, shifted copies owned by the host id, and a flattened image equal to the stack.
 * Run under {@code flock /tmp/cloche-root-it.lock}.
 */
class OverlayImageStoreIT {
    private static final long ROOT_HOST_ID = 231072;
    private static final long MS_RDONLY = 1;
    /** VFS_CAP_REVISION_2 with the effective flag, CAP_NET_RAW (13) permitted. */
    private static final byte[] CAPABILITY = HexFormat.of().parseHex("0100000200200000000000000000000000000000");
    private static final Inodes INODES = Inodes.syscalls();
    private static final Mounts MOUNTS = Mounts.syscalls();

    @TempDir
    Path dir;

    private static FakeSource image;

    @BeforeAll
    static void image() {
        TarEntry su = new TarEntry("bin/su", TarEntry.Type.FILE, 04755, 0, 0, 2, "", MTIME,
                Map.of("security.capability", CAPABILITY, "user.origin", "layer1".getBytes(StandardCharsets.UTF_8)));
        TarEntry userHome = new TarEntry("home/user", TarEntry.Type.DIRECTORY, 0750, 1000, 1000, 0, "", MTIME, Map.of());
        image = new FakeSource("localhost:5000/it:latest", List.of(
                gzipLayer(tar().dir("bin").entry(su, "su").symlink("bin/sh", "su").dir("etc").file("etc/passwd", "root:x:0:0")
                        .file("etc/gone", "gone").dir("o").file("o/old", "old").dir("o/sub").file("o/sub/deep", "deep")
                        .dir("home").entry(userHome, "").hardLink("bin/su-again", "bin/su").node("pipe", TarEntry.Type.FIFO, 0600).bytes()),
                gzipLayer(tar().dir("etc").whiteout("etc", "gone").dir("o").opaque("o").file("o/new", "new").bytes()),
                gzipLayer(tar().file("etc/motd", "hello").file("etc/passwd", "root:x:0:0:changed").bytes())),
                new ImageConfig(List.of("PATH=/bin"), "", ""));
    }

    private OverlayImageStore store(Path root, int budget) {
        return new OverlayImageStore(root, ref -> image, ROOT_HOST_ID, -1, INODES, budget);
    }

    private static ImageReference ref() {
        return new ImageReference.Registry("localhost:5000", "it", "latest", "", "");
    }

    /** Mounts the lower directories (bottom to top) read-only, runs {@code check}, unmounts. */
    private void withOverlay(List<Path> lowers, Path mountpoint, IoCheck check) throws IOException {
        Files.createDirectories(mountpoint);
        List<Path> topFirst = new ArrayList<>(lowers);
        java.util.Collections.reverse(topFirst);
        String option = "lowerdir=" + String.join(":", topFirst.stream().map(Path::toString).toList());
        MOUNTS.mount("overlay", mountpoint, "overlay", MS_RDONLY, option);
        try {
            check.run(mountpoint);
        } finally {
            MOUNTS.unmount(mountpoint);
        }
    }

    private interface IoCheck {
        void run(Path merged) throws IOException;
    }

    @Test
    void layersStackAsARealOverlayWithWhiteoutsAndOpaqueDirectories() throws IOException {
        try (OverlayImageStore store = store(dir.resolve("images"), OverlayImageStore.LOWERDIR_BUDGET)) {
            PreparedImage img = store.acquire(ref(), true, "c1", PullListener.NONE);
            assertThat(img.lowerDirs()).hasSize(3);
            assertThat(INODES.lstat(img.lowerDirs().get(1).resolve("etc/gone")).isWhiteout()).isTrue();
            withOverlay(img.lowerDirs(), dir.resolve("merged"), m -> {
                assertThat(m.resolve("etc/gone")).doesNotExist();
                assertThat(Files.readString(m.resolve("etc/passwd"))).isEqualTo("root:x:0:0:changed");
                assertThat(Files.readString(m.resolve("etc/motd"))).isEqualTo("hello");
                try (Stream<Path> o = Files.list(m.resolve("o"))) {
                    assertThat(o.map(p -> p.getFileName().toString())).containsExactly("new");
                }
                InodeStat su = INODES.lstat(m.resolve("bin/su"));
                assertThat(su.permissions()).isEqualTo(04755);
                assertThat(List.of(su.uid(), su.gid())).containsExactly(0L, 0L);
                assertThat(su.modified()).isEqualTo(MTIME);
                assertThat(INODES.xattrs(m.resolve("bin/su")).get("security.capability")).isEqualTo(CAPABILITY);
                assertThat(INODES.lstat(m.resolve("bin/su-again")).ino()).isEqualTo(su.ino());
                assertThat(Files.readSymbolicLink(m.resolve("bin/sh"))).isEqualTo(Path.of("su"));
                InodeStat home = INODES.lstat(m.resolve("home/user"));
                assertThat(List.of(home.uid(), home.gid(), (long) home.permissions())).containsExactly(1000L, 1000L, 0750L);
                assertThat(INODES.lstat(m.resolve("pipe")).isFifo()).isTrue();
            });
        }
    }

    @Test
    void shiftedCopiesBelongToTheHostIdOfContainerRoot() throws IOException {
        try (OverlayImageStore store = store(dir.resolve("images"), OverlayImageStore.LOWERDIR_BUDGET)) {
            PreparedImage img = store.acquire(ref(), false, "c1", PullListener.NONE);
            for (Path lower : img.lowerDirs()) {
                assertThat(lower.getFileName().toString()).isEqualTo("shifted-" + ROOT_HOST_ID);
                assertThat(INODES.lstat(lower).uid()).isEqualTo(ROOT_HOST_ID);
            }
            withOverlay(img.lowerDirs(), dir.resolve("merged"), m -> {
                assertThat(m.resolve("etc/gone")).doesNotExist();
                InodeStat passwd = INODES.lstat(m.resolve("etc/passwd"));
                assertThat(List.of(passwd.uid(), passwd.gid())).containsExactly(ROOT_HOST_ID, ROOT_HOST_ID);
                assertThat(INODES.lstat(m.resolve("bin/sh")).uid()).isEqualTo(ROOT_HOST_ID);
                assertThat(INODES.lstat(m.resolve("home/user")).uid()).isEqualTo(1000);
                InodeStat su = INODES.lstat(m.resolve("bin/su"));
                assertThat(su.permissions()).as("setuid kept after the chown").isEqualTo(04755);
                assertThat(INODES.xattrs(m.resolve("bin/su")).get("security.capability")).isEqualTo(CAPABILITY);
            });
        }
    }

    @Test
    void aFlattenedImageIsTheSameTreeAsTheStackedLayers() throws IOException {
        Map<String, String> expected = new TreeMap<>();
        try (OverlayImageStore stacked = store(dir.resolve("images"), OverlayImageStore.LOWERDIR_BUDGET)) {
            PreparedImage img = stacked.acquire(ref(), true, "c1", PullListener.NONE);
            withOverlay(img.lowerDirs(), dir.resolve("merged"), m -> expected.putAll(describe(m)));
        }
        assertThat(expected).containsKeys("etc/motd", "o/new", "bin/su", "pipe").doesNotContainKeys("etc/gone", "o/old");
        // the same store directory again, with a budget no stack fits in
        try (OverlayImageStore flat = store(dir.resolve("images"), 10)) {
            PreparedImage f = flat.acquire(ref(), true, "c2", PullListener.NONE);
            assertThat(f.lowerDirs()).hasSize(1);
            assertThat(describe(f.lowerDirs().get(0))).isEqualTo(expected);
            PreparedImage shifted = flat.acquire(ref(), false, "c3", PullListener.NONE);
            Map<String, String> shiftedTree = describe(shifted.lowerDirs().get(0));
            assertThat(shiftedTree.get("etc/passwd")).contains("uid " + ROOT_HOST_ID);
            assertThat(shiftedTree.keySet()).isEqualTo(expected.keySet());
        }
    }

    @Test
    void aHostileLayerLeavesNothingOnTheHost() throws IOException {
        Path target = dir.resolve("escaped");
        FakeSource hostile = new FakeSource("localhost:5000/hostile:latest", List.of(FakeSource.layer(
                tar().symlink("link", target.toString()).file("link/evil", "x").bytes(), FakeSource.PLAIN)), ImageConfig.EMPTY);
        Files.createDirectories(target);
        try (OverlayImageStore store = new OverlayImageStore(dir.resolve("images"), ref -> hostile, ROOT_HOST_ID, -1, INODES)) {
            assertThatThrownBy(() -> store.acquire(ref(), true, "c", PullListener.NONE))
                    .isInstanceOf(InvalidRequestException.class).hasMessageContaining("goes through the symlink link");
        }
        try (Stream<Path> s = Files.list(target)) {
            assertThat(s).isEmpty();
        }
        try (Stream<Path> s = Files.list(dir.resolve("images/tmp"))) {
            assertThat(s).isEmpty();
        }
    }

    /** Every node: type, mode, owners, mtime, size and content or target, and xattrs (overlay's own left out). */
    private static Map<String, String> describe(Path root) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.toList()) {
                InodeStat st = INODES.lstat(p);
                StringBuilder d = new StringBuilder(Integer.toOctalString(st.mode())).append(" uid ").append(st.uid())
                        .append(" gid ").append(st.gid()).append(" mtime ").append(st.modified());
                if (st.isRegularFile()) d.append(" content ").append(Files.readString(p, StandardCharsets.ISO_8859_1));
                if (st.isSymlink()) d.append(" -> ").append(Files.readSymbolicLink(p));
                Map<String, byte[]> x = new TreeMap<>(INODES.xattrs(p));
                x.keySet().removeIf(k -> k.startsWith("trusted.overlay."));
                for (var e : x.entrySet()) d.append(" ").append(e.getKey()).append("=").append(Arrays.toString(e.getValue()));
                out.put(root.relativize(p).toString(), d.toString());
            }
        }
        return out;
    }
}
