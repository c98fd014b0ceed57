package dev.cloche.linux.fs;

import dev.cloche.api.GardenError;
import dev.cloche.linux.sys.CommandRunner;
import dev.cloche.linux.sys.Mounts;
import dev.cloche.linux.sys.ProcFs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * overlayfs with upper/work/merged beside the bundle ({@link VolumeLayout}). Ownership of the upper dir's root decides the owner of the
 * merged root, so unprivileged containers get it chowned to their mapped root.
 *
 * <p>Once a container's init runs, its overlay leaves the host's mount table ({@link #detach}): the container's mount
 * namespace keeps it. The mount options are recorded beside the volume, so that {@link #attach} can mount it on the
 * host again when no init holds it.
 *
 * <p>Disk limits: this kernel has no quota support at all (XFS says "quota support not available in this kernel",
 * ext4 lacks CONFIG_QUOTA), so project quotas cannot work. A limited container's upper and work dirs live instead
 * on its own ext4 filesystem of exactly the limit, in a sparse file, loop-mounted at {@code disk}: the kernel
 * answers ENOSPC past the byte limit and past the inode limit ({@code mkfs -N}). No journal and no reserved blocks,
 * so nearly all of the limit is usable; mkfs and mount take a few milliseconds.
 */
final class OverlayVolumizer implements Volumizer {
    private final CommandRunner runner;
    private final Mounts mounts;
    private final long upperOwner;

    OverlayVolumizer(CommandRunner runner, Mounts mounts, long upperOwner) {
        this.runner = runner;
        this.mounts = mounts;
        this.upperOwner = upperOwner;
    }

    /** Smallest filesystem mkfs.ext4 makes reliably; smaller limits get this size with an inode cap still exact. */
    static final long MIN_FS_BYTES = 1L << 20;

    /**
     * The filesystem size whose free space is the limit: ext4's metadata (inode tables, bitmaps) takes about 3.5%
     * with the options below. Measured here: free space within 1% above the limit from 10 MiB up, 9% above at 1 MiB.
     */
    static long fsBytes(long limit) {
        long size = limit / 965 * 1000 + 131072;
        return (size + 4095) / 4096 * 4096;
    }

    /** The upper dir of an existing volume: on the limited filesystem when there is one. */
    private static Path upper(VolumeLayout l) {
        return Files.exists(l.diskImage()) ? l.diskUpper() : l.upper();
    }

    /** Creates the overlay; {@code lowerDirs} are the (possibly shifted) image layers, bottom to top. */
    @Override
    public Path create(List<Path> lowerDirs, VolumeLayout l, DiskQuota quota) {
        if (lowerDirs.isEmpty()) throw new IllegalArgumentException("an overlay needs at least one lower dir");
        if (quota.limited()) mountLimitedDisk(l, quota);
        Path upper = quota.limited() ? l.diskUpper() : l.upper();
        Path work = quota.limited() ? l.diskWork() : l.work();
        Path merged = l.merged();
        try {
            Files.createDirectories(upper);
            Files.createDirectories(work);
            Files.createDirectories(merged);
            if (upperOwner >= 0) {
                // uid_t is unsigned: the int's bits are the id (4294967294 is -2)
                Files.setAttribute(upper, "unix:uid", (int) upperOwner, java.nio.file.LinkOption.NOFOLLOW_LINKS);
                Files.setAttribute(upper, "unix:gid", (int) upperOwner, java.nio.file.LinkOption.NOFOLLOW_LINKS);
            }
        } catch (IOException e) {
            throw GardenError.internal("cannot create overlay dirs in " + merged.getParent(), e);
        }
        String options = "lowerdir=" + lowerdir(lowerDirs) + ",upperdir=" + upper + ",workdir=" + work;
        try {
            Files.writeString(l.mountOptions(), options);
        } catch (IOException e) {
            throw GardenError.internal("cannot record the overlay of " + merged.getParent(), e);
        }
        mounts.mount("overlay", merged, "overlay", 0, options);
        return merged;
    }

    @Override
    public void detach(VolumeLayout l) {
        if (Files.exists(l.mountOptions()) && ProcFs.isMounted(l.merged())) {
            mounts.detach(l.merged());
        }
    }

    @Override
    public Path attach(VolumeLayout l) {
        Path merged = l.merged();
        if (ProcFs.isMounted(merged)) return merged;
        String options;
        try {
            options = Files.readString(l.mountOptions());
        } catch (IOException e) {
            throw GardenError.internal("cannot mount the root of " + merged.getParent() + " again: its overlay options are unreadable", e);
        }
        mounts.mount("overlay", merged, "overlay", 0, options);
        return merged;
    }

    /** overlayfs lists lower dirs top first, separated by colons. */
    static String lowerdir(List<Path> bottomToTop) {
        StringBuilder b = new StringBuilder();
        for (int i = bottomToTop.size() - 1; i >= 0; i--) {
            String dir = bottomToTop.get(i).toString();
            if (dir.indexOf(':') >= 0 || dir.indexOf(',') >= 0) {
                throw new IllegalArgumentException("overlay lower dir with ':' or ',': " + dir);
            }
            if (b.length() > 0) b.append(':');
            b.append(dir);
        }
        return b.toString();
    }

    private void mountLimitedDisk(VolumeLayout l, DiskQuota quota) {
        Path img = l.diskImage();
        Path disk = l.disk();
        long bytes = quota.bytes() > 0 ? fsBytes(Math.max(quota.bytes(), MIN_FS_BYTES)) : 1L << 40; // inode-only: sparse 1 TiB
        try {
            Files.createDirectories(disk);
            runner.check(List.of("truncate", "-s", Long.toString(bytes), img.toString()));
        } catch (IOException e) {
            throw GardenError.internal("cannot create the disk of " + l.merged().getParent(), e);
        }
        // 4 KiB blocks and an inode per 16 KiB: mke2fs's "small" profile (1 KiB blocks, an inode per 4 KiB) would
        // spend a tenth of a small filesystem on inode tables
        List<String> mkfs = new java.util.ArrayList<>(List.of("mkfs.ext4", "-q", "-F", "-O", "^has_journal", "-m", "0",
                "-b", "4096", "-I", "256", "-i", "16384", "-E", "nodiscard,lazy_itable_init=1"));
        // the root dir, lost+found and the reserved inodes count against -N: add them, so the limit is the user's
        if (quota.inodes() > 0) mkfs.addAll(List.of("-N", Long.toString(quota.inodes() + 11)));
        mkfs.add(img.toString());
        runner.check(mkfs);
        runner.check(List.of("mount", "-o", "loop,nodev,nosuid", img.toString(), disk.toString()));
        Trees.deleteRecursively(disk.resolve("lost+found"));
    }

    @Override
    public Usage usage(VolumeLayout l) {
        Path upper = upper(l);
        // du: allocated bytes (what a quota counts), then inodes; the upper dir is all the container wrote
        long bytes = firstNumber(runner.run(List.of("du", "-s", "-B1", upper.toString())).stdout());
        long inodes = firstNumber(runner.run(List.of("du", "-s", "--inodes", upper.toString())).stdout());
        return new Usage(bytes, inodes);
    }

    private static long firstNumber(String duOutput) {
        try {
            return Long.parseLong(duOutput.strip().split("\\s+")[0]);
        } catch (RuntimeException e) {
            return 0;
        }
    }

    @Override
    public void destroy(VolumeLayout l) {
        Path merged = l.merged();
        if (ProcFs.isMounted(merged)) {
            mounts.unmount(merged);
        }
        if (ProcFs.isMounted(merged)) {
            throw GardenError.internal("overlay still mounted at " + merged);
        }
        Path disk = l.disk();
        if (ProcFs.isMounted(disk)) {
            // the loop device was set up with autoclear by mount -o loop, so it goes with the unmount
            mounts.unmount(disk);
        }
        if (ProcFs.isMounted(disk)) {
            throw GardenError.internal("container disk still mounted at " + disk);
        }
        for (Path part : List.of(merged, l.work(), l.upper(), disk)) {
            Trees.deleteRecursively(part);
        }
        try {
            Files.deleteIfExists(l.diskImage());
            Files.deleteIfExists(l.mountOptions());
        } catch (IOException e) {
            throw GardenError.internal("cannot remove the disk image of " + merged.getParent(), e);
        }
    }
}
