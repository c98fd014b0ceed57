package dev.cloche.linux.fs;

import java.nio.file.Path;
import java.util.List;

/** Gives each container a writable root filesystem over a read-only image. */
public interface Volumizer {

    /**
     * Mounts the root filesystem for a container at {@code layout.merged()} over the image's read-only
     * {@code lowerDirs} (bottom to top) and returns it; writes beyond {@code quota} fail with ENOSPC.
     */
    Path create(List<Path> lowerDirs, VolumeLayout layout, DiskQuota quota);

    /** A one-directory image. */
    default Path create(Path image, VolumeLayout layout, DiskQuota quota) {
        return create(List.of(image), layout, quota);
    }

    default Path create(Path image, VolumeLayout layout) {
        return create(List.of(image), layout, DiskQuota.NONE);
    }

    /** What the container has written: bytes allocated and inodes used by its writable layer. */
    Usage usage(VolumeLayout layout);

    record Usage(long bytes, long inodes) {}

    /**
     * Takes the root out of the host's mount table once the container's init has it as its root: its mount
     * namespace keeps the overlay alive. Every runtime call copies and reads the host's table, so a root left there
     * makes each create slower by the number of containers (docs/reliability.md). A root whose mount options were
     * not recorded (made before they were) stays.
     */
    void detach(VolumeLayout layout);

    /**
     * The root on the host again, mounted as {@link #create} mounted it, for when no running init holds it (a stopped
     * container); a root still mounted is returned as it is.
     */
    Path attach(VolumeLayout layout);

    /** Unmounts and removes what {@link #create} made; missing parts count as removed. */
    void destroy(VolumeLayout layout);
}
