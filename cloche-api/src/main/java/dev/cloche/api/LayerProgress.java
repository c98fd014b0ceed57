package dev.cloche.api;

import java.util.Objects;

/**
 * How far one layer of a pull has come.
 *
 * @param digest the layer's content address ({@code sha256:<hex>})
 * @param size its size as the registry sends it (compressed), 0 while unknown
 * @param bytes how many of those bytes have arrived
 * @param cached whether the store already had it (nothing is downloaded then)
 * @param done whether the layer is complete: downloaded, verified and unpacked, or cached
 */
public record LayerProgress(String digest, long size, long bytes, boolean cached, boolean done) {
    public LayerProgress {
        Objects.requireNonNull(digest, "digest");
        if (size < 0 || bytes < 0) {
            throw new IllegalArgumentException("size and bytes must not be negative: " + size + ", " + bytes);
        }
    }

    /** A layer that is starting to download. */
    public static LayerProgress started(String digest, long size) {
        return new LayerProgress(digest, size, 0, false, false);
    }

    /** A layer the store already holds. */
    public static LayerProgress cached(String digest, long size) {
        return new LayerProgress(digest, size, size, true, true);
    }

    /** This layer with {@code bytes} arrived. */
    public LayerProgress at(long bytes) {
        return new LayerProgress(digest, size, bytes, cached, done);
    }

    /** This layer, complete. */
    public LayerProgress finished() {
        return new LayerProgress(digest, size, Math.max(bytes, size), cached, true);
    }
}
