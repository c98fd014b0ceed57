package dev.cloche.image.manifest;

import dev.cloche.image.Digest;
import dev.cloche.image.ImageConfig;
import java.util.List;
import java.util.Objects;

/**
 * What Cloche reads from an image's config blob: the platform it was built for (empty when unsaid), the uncompressed
 * layer digests ({@code rootfs.diff_ids}) and the process defaults.
 */
public record ImageConfigBlob(String os, String architecture, List<Digest> diffIds, ImageConfig config) {
    public ImageConfigBlob {
        Objects.requireNonNull(os, "os");
        Objects.requireNonNull(architecture, "architecture");
        diffIds = List.copyOf(diffIds);
        Objects.requireNonNull(config, "config");
    }
}
