package dev.cloche.image;

import java.util.List;
import java.util.Objects;

/**
 * One platform's image, resolved down to its layers: the manifest's digest (the image's identity), its layer blobs
 * bottom to top (compressed as stored), the matching uncompressed layer digests from the config's
 * {@code rootfs.diff_ids}, and the config's process defaults.
 */
public record ResolvedImage(String reference, Digest manifestDigest, List<Descriptor> layers, List<Digest> diffIds,
                            ImageConfig config) {
    public ResolvedImage {
        Objects.requireNonNull(reference, "reference");
        Objects.requireNonNull(manifestDigest, "manifestDigest");
        layers = List.copyOf(layers);
        diffIds = List.copyOf(diffIds);
        Objects.requireNonNull(config, "config");
        if (layers.size() != diffIds.size()) {
            throw new IllegalArgumentException(reference + ": " + layers.size() + " layers but " + diffIds.size() + " diff ids");
        }
    }
}
