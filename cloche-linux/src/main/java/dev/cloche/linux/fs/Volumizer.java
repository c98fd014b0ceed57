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

    /** Unmounts and removes what {@link #create} made; missing parts count as removed. */
    void destroy(VolumeLayout layout);
}
