package dev.cloche.testkit;

import dev.cloche.api.Capacity;
import dev.cloche.spi.BackendContainer;
import dev.cloche.spi.BackendSpec;
import dev.cloche.spi.ContainerBackend;
import dev.cloche.spi.RestoredContainer;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * A backend of the root fixture: every container it creates or restores is handed to the fixture, which destroys
 * what is still there after the class; closing is idempotent, so a test may close it and the fixture close the rest.
 * Containers are passed through as the backend made them (tests may look at their implementation).
 */
final class TrackingBackend implements ContainerBackend {
    private final ContainerBackend backend;
    private final Consumer<BackendContainer> track;
    private final AtomicBoolean closed = new AtomicBoolean();

    TrackingBackend(ContainerBackend backend, Consumer<BackendContainer> track) {
        this.backend = backend;
        this.track = track;
    }

    @Override
    public BackendContainer create(BackendSpec spec) {
        BackendContainer c = backend.create(spec);
        track.accept(c);
        return c;
    }

    @Override
    public List<RestoredContainer> restore() {
        List<RestoredContainer> found = backend.restore();
        found.forEach(r -> r.container().ifPresent(track));
        return found;
    }

    @Override
    public Capacity capacity() {
        return backend.capacity();
    }

    @Override
    public String containerBound() {
        return backend.containerBound();
    }

    @Override
    public java.util.List<dev.cloche.api.ImageInfo> images() {
        return backend.images();
    }

    @Override
    public dev.cloche.api.ImagePruneReport pruneImages() {
        return backend.pruneImages();
    }

    @Override
    public dev.cloche.api.ImageInfo pullImage(dev.cloche.api.ImageRef ref,
                                               java.util.function.Consumer<dev.cloche.api.LayerProgress> progress) {
        return backend.pullImage(ref, progress);
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) backend.close();
    }

    boolean isClosed() {
        return closed.get();
    }
}
