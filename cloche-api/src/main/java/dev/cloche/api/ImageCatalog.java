package dev.cloche.api;

import java.util.List;
import java.util.function.Consumer;

/**
 * The images a Cloche server keeps: its cache of pulled images and their layers. Garden's wire protocol has no
 * images, so this is an API of its own beside {@link GardenClient}: in the daemon the core ({@code ContainerManager})
 * implements both, remotely {@code RemoteGardenClient} does, over Cloche's extension routes ({@code /images}).
 *
 * <p>The backend owns the store: what an image reference may be, where its layers come from and when they are
 * collected. A backend without an image store lists nothing, prunes nothing and refuses a pull with an
 * {@link InvalidRequestException}.
 */
public interface ImageCatalog {

    /** The cached images, each with the handles of the containers that use it. */
    List<ImageInfo> images();

    /**
     * Removes every cached image that no container holds, with the layers no remaining image shares. An image in use
     * is never removed.
     */
    ImagePruneReport pruneImages();

    /**
     * Brings {@code ref} into the store (or finds it there), so that a later create of that image starts from the
     * cache. {@code progress} is called one record at a time (never concurrently), in order, for each layer:
     * as it starts, while it downloads and once it is done ({@link LayerProgress#done()}); a layer already in the
     * store is reported once, cached and done. A remote catalog may drop intermediate records (never a layer's first
     * nor its last) to keep the wire light. A failed pull leaves nothing half-written and throws a {@link GardenException}: a
     * malformed or unknown reference or wrong credentials an {@link InvalidRequestException}, a registry that cannot
     * be reached a {@link ServiceUnavailableException}.
     *
     * @return the image as the store now holds it
     */
    ImageInfo pullImage(ImageRef ref, Consumer<LayerProgress> progress);
}
