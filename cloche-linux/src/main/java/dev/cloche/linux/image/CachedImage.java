package dev.cloche.linux.image;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/** One image in the store, for {@code cloche images}: what it was pulled as, its size, and who holds it. */
public record CachedImage(String id, String reference, int layers, long bytes, List<String> holders, Instant lastUsed) {
    public CachedImage {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(reference, "reference");
        holders = List.copyOf(holders);
        Objects.requireNonNull(lastUsed, "lastUsed");
    }
}
