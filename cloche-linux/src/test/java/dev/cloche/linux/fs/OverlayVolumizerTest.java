package dev.cloche.linux.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.linux.sys.Mounts;
import dev.cloche.linux.sys.RecordingCommandRunner;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OverlayVolumizerTest {
    @TempDir Path dir;

    /** The layout the depot gives a container entry. */
    private VolumeLayout layout() {
        return new VolumeLayout(dir.resolve("merged"), dir.resolve("upper"), dir.resolve("work"), dir.resolve("disk.img"),
                dir.resolve("disk"), dir.resolve("disk/upper"), dir.resolve("disk/work"), dir.resolve("overlay"));
    }

    @Test
    void unprivilegedOverlayChownsTheUpperRootThenMounts() throws java.io.IOException {
        RecordingCommandRunner r = new RecordingCommandRunner();
        Path merged = Volumizers.overlay(r, Mounts.commands(r), 4294967294L).create(Path.of("/images/x-shifted"), layout());
        assertThat(merged).isEqualTo(dir.resolve("merged")).isDirectory();
        assertThat(java.nio.file.Files.getAttribute(dir.resolve("upper"), "unix:uid")).as("uid 4294967294").isEqualTo(-2);
        assertThat(java.nio.file.Files.getAttribute(dir.resolve("upper"), "unix:gid")).isEqualTo(-2);
        assertThat(r.calls()).containsExactly(
                List.of("mount", "-t", "overlay", "overlay", "-o", "lowerdir=/images/x-shifted,upperdir=" + dir.resolve("upper")
                        + ",workdir=" + dir.resolve("work"), dir.resolve("merged").toString()));
    }

    @Test
    void layersAreListedTopFirstAsOverlayWantsThem() {
        RecordingCommandRunner r = new RecordingCommandRunner();
        Volumizers.overlay(r, Mounts.commands(r), -1).create(List.of(Path.of("/l/base"), Path.of("/l/mid"), Path.of("/l/top")),
                layout(), DiskQuota.NONE);
        assertThat(r.calls().getFirst().get(5)).startsWith("lowerdir=/l/top:/l/mid:/l/base,upperdir=");
    }

    @Test
    void aLowerDirThatWouldSplitTheOptionIsRefused() {
        RecordingCommandRunner r = new RecordingCommandRunner();
        assertThatThrownBy(() -> Volumizers.overlay(r, Mounts.commands(r), -1)
                .create(List.of(Path.of("/l/a:b")), layout(), DiskQuota.NONE)).isInstanceOf(IllegalArgumentException.class);
        assertThat(r.calls()).isEmpty();
    }

    @Test
    void privilegedOverlayDoesNotChown() {
        RecordingCommandRunner r = new RecordingCommandRunner();
        Volumizers.overlay(r, Mounts.commands(r), -1).create(Path.of("/img"), layout());
        assertThat(r.calls()).hasSize(1).allMatch(c -> c.getFirst().equals("mount"));
    }

    @Test
    void destroyOfAnUnmountedVolumeRemovesItsDirsWithoutUmount() {
        RecordingCommandRunner r = new RecordingCommandRunner();
        Volumizer v = Volumizers.overlay(r, Mounts.commands(r), -1);
        v.create(Path.of("/img"), layout());
        v.destroy(layout());
        v.destroy(layout());
        assertThat(r.calls()).noneMatch(c -> c.getFirst().equals("umount"));
        assertThat(dir.resolve("merged")).doesNotExist();
        assertThat(dir.resolve("upper")).doesNotExist();
    }

    @Test
    void theRecordedOptionsMountTheSameOverlayAgainAndGoWithTheVolume() throws java.io.IOException {
        RecordingCommandRunner r = new RecordingCommandRunner();
        Volumizer v = Volumizers.overlay(r, Mounts.commands(r), -1);
        v.create(List.of(Path.of("/l/base"), Path.of("/l/top")), layout(), DiskQuota.NONE);
        List<String> mounted = r.calls().getFirst();
        assertThat(java.nio.file.Files.readString(dir.resolve("overlay"))).isEqualTo(mounted.get(5));
        // the test's merged dir is no mount point: attach mounts it again with the same options
        assertThat(v.attach(layout())).isEqualTo(dir.resolve("merged"));
        assertThat(r.calls()).containsExactly(mounted, mounted);
        v.destroy(layout());
        assertThat(dir.resolve("overlay")).doesNotExist();
    }

    @Test
    void aRootThatIsNoMountPointIsNotDetachedAndOneWithoutRecordedOptionsCannotBeAttached() {
        RecordingCommandRunner r = new RecordingCommandRunner();
        Volumizer v = Volumizers.overlay(r, Mounts.commands(r), -1);
        v.detach(layout());
        assertThat(r.calls()).isEmpty();
        assertThatThrownBy(() -> v.attach(layout())).hasMessageContaining("overlay options are unreadable");
    }

    @Test
    void aDiskLimitPutsTheWritableLayerOnItsOwnFilesystemOfThatSize() {
        RecordingCommandRunner r = new RecordingCommandRunner();
        Volumizers.overlay(r, Mounts.commands(r), -1).create(Path.of("/img"), layout(), new DiskQuota(10 << 20, 500));
        assertThat(r.calls()).extracting(c -> c.getFirst()).containsExactly("truncate", "mkfs.ext4", "mount", "mount");
        assertThat(r.calls().get(0)).containsExactly("truncate", "-s", Long.toString(OverlayVolumizer.fsBytes(10 << 20)), dir.resolve("disk.img").toString());
        assertThat(OverlayVolumizer.fsBytes(10 << 20)).isBetween(10L << 20, 11L << 20).isEqualTo(OverlayVolumizer.fsBytes(10 << 20) / 4096 * 4096);
        assertThat(r.calls().get(1)).containsSubsequence("-N", "511").contains("^has_journal");
        assertThat(r.calls().get(2)).containsExactly("mount", "-o", "loop,nodev,nosuid", dir.resolve("disk.img").toString(), dir.resolve("disk").toString());
        assertThat(String.join(" ", r.calls().get(3))).contains("upperdir=" + dir.resolve("disk/upper"), "workdir=" + dir.resolve("disk/work"));
    }

    @Test
    void shiftedImageIsBuiltOnceWithLchown() {
        RecordingCommandRunner r = new RecordingCommandRunner(argv -> {
            if (argv.getFirst().equals("cp")) {
                try {
                    java.nio.file.Files.createDirectories(Path.of(argv.get(3)));
                } catch (java.io.IOException e) {
                    throw new IllegalStateException(e);
                }
            }
            return dev.cloche.linux.sys.CommandResult.ok("");
        });
        ImageCache cache = Volumizers.shiftingCache(r, dir.resolve("images"), 4294967294L);
        Path first = cache.lowerFor(Path.of("/rootfs"), false);
        Path second = cache.lowerFor(Path.of("/rootfs"), false);
        assertThat(first).isEqualTo(second).isDirectory();
        assertThat(first.getFileName().toString()).endsWith("-shifted");
        assertThat(r.calls()).hasSize(3);
        assertThat(r.calls().get(1)).containsSubsequence("find", "-uid", "0", "chown", "-h", "4294967294");
        assertThat(r.calls().get(2)).containsSubsequence("find", "-gid", "0", "chgrp", "-h", "4294967294");
        assertThat(cache.lowerFor(Path.of("/rootfs"), true)).isEqualTo(Path.of("/rootfs"));
    }

    @Test
    void anImageReplacedAtTheSamePathGetsANewShiftedCopy() throws Exception {
        RecordingCommandRunner r = new RecordingCommandRunner(argv -> {
            if (argv.getFirst().equals("cp")) {
                try {
                    java.nio.file.Files.createDirectories(Path.of(argv.get(3)));
                } catch (java.io.IOException e) {
                    throw new IllegalStateException(e);
                }
            }
            return dev.cloche.linux.sys.CommandResult.ok("");
        });
        ImageCache cache = Volumizers.shiftingCache(r, dir.resolve("images"), 4294967294L);
        Path image = java.nio.file.Files.createDirectories(dir.resolve("rootfs"));
        Path first = cache.lowerFor(image, false);
        assertThat(cache.lowerFor(image, false)).isEqualTo(first);
        // what make-rootfs.sh does: a new tree is built beside the image and renamed into its place
        Path rebuilt = java.nio.file.Files.createDirectories(dir.resolve("rootfs.tmp"));
        java.nio.file.Files.move(image, dir.resolve("rootfs.old"));
        java.nio.file.Files.move(rebuilt, image);
        Path second = cache.lowerFor(image, false);
        assertThat(second).isNotEqualTo(first).isDirectory();
        assertThat(first).isDirectory();
        assertThat(r.calls().stream().filter(c -> c.getFirst().equals("cp"))).hasSize(2);
    }
}
