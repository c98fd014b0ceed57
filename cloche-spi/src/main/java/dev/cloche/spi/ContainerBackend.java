package dev.cloche.spi;

import dev.cloche.api.Capacity;
import dev.cloche.api.ImageInfo;
import dev.cloche.api.ImagePruneReport;
import dev.cloche.api.ImageRef;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.LayerProgress;
import java.util.List;
import java.util.function.Consumer;

/**
 * The mechanics of containers on one kind of engine (Linux/runc, later Docker engine, Kubernetes). The core
 * ({@code ContainerManager}) owns handles, locking, properties, grace time, process ids and events, and checks
 * requests before a backend sees them; a backend does not check those policies again. It may still refuse what only
 * it can know (its own on-disk or kernel state), with an error that says so.
 *
 * <p><b>What the core has checked before {@link #create}</b>: the handle is valid (1 to 255 characters, no
 * {@code /}, no control characters) and reserved: no container the core holds has it (being created, live, broken
 * or being destroyed), and no other create for it runs. Counting this one, the core holds at most
 * {@link Capacity#maxContainers()} containers (as the backend reported at the core's start).
 *
 * <p><b>Concurrency</b>, exactly as the core calls: {@link #capacity()} at any time; {@link #restore()} once, at
 * the core's start, before any create; {@code create} concurrently for different handles, never twice at once for
 * one handle, and no call reaches a container before its {@code create} returned (should the core fail to save
 * the new container's state, its only call is {@link BackendContainer#destroy()}). Calls on containers follow
 * {@link BackendContainer}. The core never calls {@link #close()}: whoever built the backend closes it after the core.
 */
public interface ContainerBackend extends AutoCloseable {

    /**
     * Builds and starts a container whose handle the core has already chosen and reserved (see above). On failure the
     * backend has undone everything it did (no mount, cgroup, runtime state or depot entry is left) and throws a
     * {@link dev.cloche.api.GardenException}.
     */
    BackendContainer create(BackendSpec spec);

    /**
     * Containers this backend finds at start-up (from its depot), restored or reported broken. Called once, before
     * any create.
     */
    List<RestoredContainer> restore();

    Capacity capacity();

    /**
     * The images this backend keeps (see {@link dev.cloche.api.ImageCatalog#images()}); may run at any time,
     * concurrently with anything. A backend without an image store has none.
     */
    default List<ImageInfo> images() {
        return List.of();
    }

    /**
     * Removes the images no container holds ({@link dev.cloche.api.ImageCatalog#pruneImages()}); may run
     * concurrently with creates, and never removes an image a create is about to use. Nothing without a store.
     */
    default ImagePruneReport pruneImages() {
        return ImagePruneReport.NONE;
    }

    /**
     * Pulls an image into the store, or finds it there ({@link dev.cloche.api.ImageCatalog#pullImage}), calling
     * {@code progress} one record at a time. The core has checked that the reference's URI is not empty and has no
     * control characters; its form (docker://, oci://, a path) is the backend's to judge. May run concurrently with
     * anything, including a pull of the same image. A backend without an image store refuses.
     */
    default ImageInfo pullImage(ImageRef ref, Consumer<LayerProgress> progress) {
        throw new InvalidRequestException("this backend keeps no image store: it cannot pull " + ref.uri());
    }

    /**
     * Where to report what happens to containers outside any call (an OOM kill). Called once by the core, before
     * {@link #restore()}; a backend that detects nothing of the kind keeps the default, which ignores it.
     */
    default void reportTo(BackendEvents events) {
    }

    /** Releases the backend's own resources. Containers keep running: they outlive the daemon. */
    @Override
    void close();
}
