package dev.cloche.linux;

import dev.cloche.api.BandwidthLimits;
import dev.cloche.api.CpuLimits;
import dev.cloche.api.DiskLimits;
import dev.cloche.api.Limits;
import dev.cloche.api.MemoryLimits;
import dev.cloche.api.PidLimits;
import java.util.List;
import java.util.Objects;

/**
 * What a depot entry records about its container, enough to restore it after a daemon restart. Fields added later
 * (imageBytes, imageInodes) read as 0 from older entries.
 */
record DepotMeta(String handle, String id, boolean privileged, List<String> env, long createdAtMillis,
                 long bandwidthRate, long bandwidthBurst, long cpuWeight, long cpuShares, long diskInodeSoft,
                 long diskInodeHard, long diskByteSoft, long diskByteHard, int diskScope, long memory, long pids,
                 long imageBytes, long imageInodes) {

    DepotMeta {
        Objects.requireNonNull(handle, "handle");
        Objects.requireNonNull(id, "id");
        env = List.copyOf(env);
    }

    static DepotMeta of(String handle, String id, boolean privileged, List<String> env, long createdAtMillis, Limits l,
                        ImageSize image) {
        return new DepotMeta(handle, id, privileged, env, createdAtMillis, l.bandwidth().rateInBytesPerSecond(),
                l.bandwidth().burstRateInBytesPerSecond(), l.cpu().weight(), l.cpu().limitInShares(),
                l.disk().inodeSoft(), l.disk().inodeHard(), l.disk().byteSoft(), l.disk().byteHard(),
                l.disk().scope().ordinal(), l.memory().limitInBytes(), l.pid().max(), image.bytes(), image.inodes());
    }

    /** The image's own size, which a disk limit of scope "total" includes (Garden: total = image + writes). */
    record ImageSize(long bytes, long inodes) {}

    Limits limits() {
        return new Limits(new BandwidthLimits(bandwidthRate, bandwidthBurst), new CpuLimits(cpuWeight, cpuShares),
                new DiskLimits(diskInodeSoft, diskInodeHard, diskByteSoft, diskByteHard,
                        DiskLimits.DiskLimitScope.values()[diskScope]),
                new MemoryLimits(memory), new PidLimits(pids));
    }
}
