package dev.cloche.api;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One cached image.
 *
 * @param id the image's content address (its config digest, {@code sha256:<hex>})
 * @param reference the reference it was pulled by, as given (e.g. {@code docker:///busybox#1.36})
 * @param layers how many layers it stacks
 * @param bytes the unpacked size of its layers on disk
 * @param holders the handles of the containers that use it; an image with holders is never pruned
 * @param lastUsed when it was last pulled or used by a create
 */
public record ImageInfo(String id, String reference, int layers, long bytes, List<String> holders, Instant lastUsed) {
    public ImageInfo {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(reference, "reference");
        Objects.requireNonNull(lastUsed, "lastUsed");
        if (layers < 0 || bytes < 0) {
            throw new IllegalArgumentException("layers and bytes must not be negative: " + layers + ", " + bytes);
        }
        holders = List.copyOf(holders);
    }
}
