package dev.cloche.api;

import java.util.Objects;

/** Garden's {@code DiskLimits}; zero means unset. */
public record DiskLimits(long inodeSoft, long inodeHard, long byteSoft, long byteHard, DiskLimitScope scope) {
    public static final DiskLimits NONE = new DiskLimits(0, 0, 0, 0, DiskLimitScope.TOTAL);

    /** Wire values: 0 = total, 1 = exclusive. */
    public enum DiskLimitScope { TOTAL, EXCLUSIVE }

    public DiskLimits {
        Objects.requireNonNull(scope, "scope");
        Uint64.require(inodeSoft, "inode_soft");
        Uint64.require(inodeHard, "inode_hard");
        Uint64.require(byteSoft, "byte_soft");
        Uint64.require(byteHard, "byte_hard");
    }
}
