package dev.cloche.linux;

import dev.cloche.api.BandwidthLimits;
import dev.cloche.api.CpuLimits;
import dev.cloche.api.DiskLimits;
import dev.cloche.api.Limits;
import dev.cloche.api.MemoryLimits;
import dev.cloche.api.PidLimits;
import dev.cloche.image.ImageConfig;
import java.util.List;
import java.util.Objects;

/**
 * What a depot entry records about its container, enough to restore it after a daemon restart. Fields added later
 * read as empty from older entries: imageBytes and imageInodes as 0, the image's store id (empty: a directory image,
 * not in the store) and its process defaults as empty, the settings it was made with as {@link MadeWith#UNRECORDED}.
 */
record DepotMeta(String handle, String id, boolean privileged, List<String> env, long createdAtMillis,
                 long bandwidthRate, long bandwidthBurst, long cpuWeight, long cpuShares, long diskInodeSoft,
                 long diskInodeHard, long diskByteSoft, long diskByteHard, int diskScope, long memory, long pids,
                 long imageBytes, long imageInodes, String imageId, List<String> imageEnv, String imageUser,
                 String imageWorkingDir, MadeWith madeWith) {

    DepotMeta {
        Objects.requireNonNull(handle, "handle");
        Objects.requireNonNull(id, "id");
        env = List.copyOf(env);
        imageId = imageId == null ? "" : imageId;
        imageEnv = imageEnv == null ? List.of() : List.copyOf(imageEnv);
        imageUser = imageUser == null ? "" : imageUser;
        imageWorkingDir = imageWorkingDir == null ? "" : imageWorkingDir;
        madeWith = madeWith == null ? MadeWith.UNRECORDED : madeWith;
    }

    /** An entry as a daemon before {@link MadeWith} wrote it (tests of restoring such entries). */
    static DepotMeta of(String handle, String id, boolean privileged, List<String> env, long createdAtMillis, Limits l,
                        ImageUse image) {
        return of(handle, id, privileged, env, createdAtMillis, l, image, MadeWith.UNRECORDED);
    }

    static DepotMeta of(String handle, String id, boolean privileged, List<String> env, long createdAtMillis, Limits l,
                        ImageUse image, MadeWith madeWith) {
        return new DepotMeta(handle, id, privileged, env, createdAtMillis, l.bandwidth().rateInBytesPerSecond(),
                l.bandwidth().burstRateInBytesPerSecond(), l.cpu().weight(), l.cpu().limitInShares(),
                l.disk().inodeSoft(), l.disk().inodeHard(), l.disk().byteSoft(), l.disk().byteHard(),
                l.disk().scope().ordinal(), l.memory().limitInBytes(), l.pid().max(), image.bytes(), image.inodes(),
                image.storeId(), image.config().env(), image.config().user(), image.config().workingDir(), madeWith);
    }

    /** The same container with new limits. */
    DepotMeta withLimits(Limits l) {
        return of(handle, id, privileged, env, createdAtMillis, l, image(), madeWith);
    }

    /** The same container, now known to have been made with {@code m}. */
    DepotMeta withMadeWith(MadeWith m) {
        return of(handle, id, privileged, env, createdAtMillis, limits(), image(), m);
    }

    /**
     * The container's image: its id in the image store (empty for a directory image), its config's process defaults,
     * and its own size, which a disk limit of scope "total" includes (Garden: total = image + writes).
     */
    record ImageUse(String storeId, ImageConfig config, long bytes, long inodes) {
        ImageUse {
            Objects.requireNonNull(storeId, "storeId");
            Objects.requireNonNull(config, "config");
        }

        static ImageUse directory(long bytes, long inodes) {
            return new ImageUse("", ImageConfig.EMPTY, bytes, inodes);
        }
    }

    ImageUse image() {
        return new ImageUse(imageId, new ImageConfig(imageEnv, imageUser, imageWorkingDir), imageBytes, imageInodes);
    }

    Limits limits() {
        return new Limits(new BandwidthLimits(bandwidthRate, bandwidthBurst), new CpuLimits(cpuWeight, cpuShares),
                new DiskLimits(diskInodeSoft, diskInodeHard, diskByteSoft, diskByteHard,
                        DiskLimits.DiskLimitScope.values()[diskScope]),
                new MemoryLimits(memory), new PidLimits(pids));
    }
}
