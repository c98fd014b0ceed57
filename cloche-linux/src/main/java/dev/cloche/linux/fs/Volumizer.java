package dev.cloche.linux.fs;

import java.nio.file.Path;

/** Gives each container a writable root filesystem over a read-only image. */
public interface Volumizer {

    /**
     * Mounts the root filesystem for a container under {@code containerDir} and returns the mounted path; writes
     * beyond {@code quota} fail with ENOSPC.
     */
    Path create(Path image, Path containerDir, DiskQuota quota);

    default Path create(Path image, Path containerDir) {
        return create(image, containerDir, DiskQuota.NONE);
    }

    /** What the container has written: bytes allocated and inodes used by its writable layer. */
    Usage usage(Path containerDir);

    record Usage(long bytes, long inodes) {}

    /** Unmounts and removes what {@link #create} made; missing parts count as removed. */
    void destroy(Path containerDir);

    /** The path {@link #create} mounts at. */
    Path rootfs(Path containerDir);
}
