package dev.cloche.linux.image;

import dev.cloche.image.ImageReference;
import dev.cloche.image.PullListener;
import java.util.List;
import java.util.Optional;

/**
 * The depot's image store: registry images, OCI layouts and rootfs tarballs, their layers extracted once
 * (content-addressed, through the hostile-archive checks) and stacked as overlay lower directories. An image is held
 * by the containers using it and collected only when none does.
 */
public interface ImageStore extends AutoCloseable {

    /**
     * Makes the image ready, pulling and extracting what the store lacks (each layer once, even for concurrent
     * calls), and holds it for {@code holder} (a container handle) until {@link #release}. The lower directories are
     * shifted for user-namespaced containers when {@code privileged} is false. Takes {@link ImageReference.Registry},
     * {@link ImageReference.OciLayout} and a {@link ImageReference.HostPath} naming a tarball.
     */
    PreparedImage acquire(ImageReference ref, boolean privileged, String holder, PullListener listener);

    /** After a daemon restart: holds an image acquired before, by its id, if the store still has it. */
    Optional<PreparedImage> reacquire(String imageId, boolean privileged, String holder);

    /** Ends {@code holder}'s hold; idempotent. May collect unused images if the store is over its threshold. */
    void release(String imageId, String holder);

    List<CachedImage> list();

    /** Removes every image no container holds, and layers no remaining image uses. */
    PruneReport prune();

    /** Stops background work; the store's files stay. */
    @Override
    void close();
}
