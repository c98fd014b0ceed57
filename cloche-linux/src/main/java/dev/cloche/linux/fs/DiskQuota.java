package dev.cloche.linux.fs;

/**
 * The hard limits for a container's writable layer, in bytes and inodes; 0 means unlimited. This kernel has no
 * quota support (no CONFIG_QUOTA, no XFS quota), so the limit is a filesystem of exactly that size: see
 * {@link OverlayVolumizer}.
 */
public record DiskQuota(long bytes, long inodes) {
    public static final DiskQuota NONE = new DiskQuota(0, 0);

    public DiskQuota {
        if (bytes < 0 || inodes < 0) throw new IllegalArgumentException("negative disk quota");
    }

    public boolean limited() {
        return bytes > 0 || inodes > 0;
    }
}
