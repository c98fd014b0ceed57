package dev.cloche.api;

import java.util.Objects;

/** Garden's {@code DiskLimits}; zero means unset. */
public record DiskLimits(long inodeSoft, long inodeHard, long byteSoft, long byteHard, DiskLimitScope scope) {
    public static final DiskLimits NONE = new DiskLimits(0, 0, 0, 0, DiskLimitScope.TOTAL);

    /** Wire values: 0 = total, 1 = exclusive. */
    public enum DiskLimitScope { TOTAL, EXCLUSIVE }

    public DiskLimits {
        Objects.requireNonNull(scope, "scope");
        Values.requireUnsigned(inodeSoft, "inode_soft");
        Values.requireUnsigned(inodeHard, "inode_hard");
        Values.requireUnsigned(byteSoft, "byte_soft");
        Values.requireUnsigned(byteHard, "byte_hard");
    }
}
