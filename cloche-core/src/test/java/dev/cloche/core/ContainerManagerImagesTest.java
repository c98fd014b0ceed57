package dev.cloche.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.Capacity;
import dev.cloche.api.GardenException;
import dev.cloche.api.ImageInfo;
import dev.cloche.api.ImagePruneReport;
import dev.cloche.api.ImageRef;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.LayerProgress;
import dev.cloche.spi.BackendContainer;
import dev.cloche.spi.BackendSpec;
import dev.cloche.spi.ContainerBackend;
import dev.cloche.spi.RestoredContainer;
import dev.cloche.testkit.FakeBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** What the core itself does with images: refuse malformed pulls, pass the rest on, keep the API's exception family. */
class ContainerManagerImagesTest {

    /** A backend with only the SPI's image defaults (no store), whose pulls can be counted or made to fail. */
    private static class StorelessBackend implements ContainerBackend {
        final FakeBackend fake = new FakeBackend();

        @Override
        public BackendContainer create(BackendSpec spec) {
            return fake.create(spec);
        }

        @Override
        public List<RestoredContainer> restore() {
            return List.of();
        }

        @Override
        public Capacity capacity() {
            return fake.capacity();
        }

        @Override
        public void close() {}
    }

    @Test
    void aBackendWithoutAStoreHasNoImagesAndRefusesAPull() {
        try (ContainerManager core = ContainerManager.start(new StorelessBackend(), CoreConfig.DEFAULTS)) {
            assertThat(core.images()).isEmpty();
            assertThat(core.pruneImages()).isEqualTo(ImagePruneReport.NONE);
            assertThatThrownBy(() -> core.pullImage(ImageRef.of("docker:///busybox#1"), p -> { }))
                    .isInstanceOf(InvalidRequestException.class).hasMessageContaining("keeps no image store");
        }
    }

    @Test
    void malformedReferencesNeverReachTheBackend() {
        AtomicInteger pulls = new AtomicInteger();
        StorelessBackend backend = new StorelessBackend() {
            @Override
            public ImageInfo pullImage(ImageRef ref, Consumer<LayerProgress> progress) {
                pulls.incrementAndGet();
                return fake.pullImage(ref, progress);
            }
        };
        try (ContainerManager core = ContainerManager.start(backend, CoreConfig.DEFAULTS)) {
            for (ImageRef bad : List.of(ImageRef.NONE, ImageRef.of("   "), ImageRef.of("docker:///a\u0000"),
                    new ImageRef("docker:///a", "user\n", ""), new ImageRef("docker:///a", "u", "p\r"),
                    ImageRef.of("d".repeat(ContainerManager.MAX_IMAGE_URI + 1)))) {
                assertThatThrownBy(() -> core.pullImage(bad, p -> { })).as(bad.toString()).isInstanceOf(InvalidRequestException.class);
            }
            assertThat(pulls).hasValue(0);
            List<LayerProgress> records = new ArrayList<>();
            assertThat(core.pullImage(ImageRef.of(dev.cloche.testkit.FakeImages.BUSYBOX), records::add).layers()).isEqualTo(2);
            assertThat(pulls).hasValue(1);
            assertThat(records).isNotEmpty();
        }
    }

    @Test
    void aBackendFailureThatIsNoGardenExceptionBecomesAnInternalError() {
        StorelessBackend backend = new StorelessBackend() {
            @Override
            public ImageInfo pullImage(ImageRef ref, Consumer<LayerProgress> progress) {
                throw new IllegalStateException("disk on fire");
            }

            @Override
            public List<ImageInfo> images() {
                throw new IllegalStateException("index unreadable");
            }
        };
        try (ContainerManager core = ContainerManager.start(backend, CoreConfig.DEFAULTS)) {
            assertThatThrownBy(() -> core.pullImage(ImageRef.of("docker:///a"), p -> { })).isInstanceOf(GardenException.class)
                    .hasMessageContaining("pull docker:///a").hasMessageContaining("disk on fire")
                    .extracting(e -> ((GardenException) e).kind()).isEqualTo(GardenException.Kind.INTERNAL);
            assertThatThrownBy(core::images).isInstanceOf(GardenException.class).hasMessageContaining("index unreadable");
        }
    }
}
