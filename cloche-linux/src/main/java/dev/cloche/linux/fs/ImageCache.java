package dev.cloche.linux.fs;

import java.nio.file.Path;

/** Prepares an image directory for use as an overlay lower layer. */
public interface ImageCache {

    /**
     * The lower layer to use for {@code image}: the image itself for privileged containers, or a copy whose
     * root-owned files belong to the user namespace's root for unprivileged ones (built once, then reused).
     */
    Path lowerFor(Path image, boolean privileged);
}
