package dev.cloche.image;

/** Progress of a pull, per layer blob, for a progress bar; called from the threads that download. */
public interface PullListener {
    PullListener NONE = new PullListener() { };

    /** The layer will be downloaded ({@code cached} false) or is already in the store ({@code cached} true). */
    default void layerStarted(Digest layer, long size, boolean cached) { }

    /** {@code bytes} of the layer's blob have been read so far. */
    default void layerProgress(Digest layer, long bytes) { }

    default void layerDone(Digest layer) { }
}
