package dev.cloche.linux.image;

import dev.cloche.image.ImageConfig;
import java.util.List;
import java.util.Objects;

/**
 * The store's record of one image, kept as {@code records/<id>.json}: what it was last acquired as, the manifest's
 * digest (empty for a rootfs tarball), its layers' diff ids bottom to top ({@code sha256:<hex>}), its config's process
 * defaults, its size (the sum of its layers') and when it was last used (epoch milliseconds), for collection.
 */
record ImageRecord(String id, String reference, String manifestDigest, List<String> diffIds, ImageConfig config,
                   long bytes, long inodes, long lastUsed) {
    ImageRecord {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(reference, "reference");
        Objects.requireNonNull(manifestDigest, "manifestDigest");
        diffIds = List.copyOf(diffIds);
        Objects.requireNonNull(config, "config");
    }

    /** The layers' hex digests: their directories' names. */
    List<String> layerHexes() {
        return diffIds.stream().map(d -> d.substring(d.indexOf(':') + 1)).toList();
    }

    ImageRecord used(String reference, long at) {
        return new ImageRecord(id, reference, manifestDigest, diffIds, config, bytes, inodes, Math.max(lastUsed, at));
    }
}
