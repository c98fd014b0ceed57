package dev.cloche.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.Container;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.GardenClient;
import dev.cloche.api.ImageCatalog;
import dev.cloche.api.ImageInfo;
import dev.cloche.api.ImagePruneReport;
import dev.cloche.api.ImageRef;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.LayerProgress;
import dev.cloche.api.ServiceUnavailableException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What every {@link ImageCatalog} must do, in the core or across the wire (beside {@link GardenClientConformance},
 * whose client it uses to create containers from images). The images default to {@link FakeImages}' fake registry;
 * a backend with a real store overrides them with images its registry serves.
 */
@Timeout(30)
public abstract class ImageCatalogConformance {

    /** A client of the server under test, for containers. */
    protected abstract GardenClient garden();

    /** The image catalog of the same server. */
    protected abstract ImageCatalog images();

    /** An image the store can pull. */
    protected ImageRef pullable() {
        return ImageRef.of(FakeImages.BUSYBOX);
    }

    /** Another pullable image that shares at least one layer with {@link #pullable()}, and has one of its own. */
    protected ImageRef sharingALayer() {
        return ImageRef.of(FakeImages.APP);
    }

    /** An image whose pull fails with a {@link ServiceUnavailableException} after its first layer has started. */
    protected ImageRef failingMidPull() {
        return ImageRef.of(FakeImages.BROKEN);
    }

    /** A well-formed reference to an image no registry has. */
    protected ImageRef unknown() {
        return ImageRef.of("docker:///fake/no-such-image#1");
    }

    private ImageInfo pull(ImageRef ref, List<LayerProgress> records) {
        return images().pullImage(ref, records::add);
    }

    private Container createFrom(ImageRef ref) {
        return garden().create(ContainerSpec.withHandle("img-" + UUID.randomUUID().toString().substring(0, 8)).withImage(ref));
    }

    private List<ImageInfo> cached(ImageRef ref) {
        return images().images().stream().filter(i -> i.reference().equals(ref.uri())).toList();
    }

    /**
     * Each layer's records: its first not done (unless cached), bytes never going back, its last done; one layer per
     * layer of the image.
     */
    private static void assertWellOrdered(List<LayerProgress> records, ImageInfo image) {
        Map<String, List<LayerProgress>> byLayer = new LinkedHashMap<>();
        records.forEach(r -> byLayer.computeIfAbsent(r.digest(), d -> new ArrayList<>()).add(r));
        assertThat(byLayer).hasSize(image.layers());
        byLayer.forEach((digest, rs) -> {
            assertThat(rs.getLast().done()).as("%s ends done: %s", digest, rs).isTrue();
            assertThat(rs.subList(0, rs.size() - 1)).as("%s is done only once, last", digest).noneMatch(LayerProgress::done);
            for (int i = 1; i < rs.size(); i++) {
                assertThat(rs.get(i).bytes()).as("%s bytes never go back", digest).isGreaterThanOrEqualTo(rs.get(i - 1).bytes());
            }
            if (rs.getLast().size() > 0) {
                assertThat(rs.getLast().bytes()).isEqualTo(rs.getLast().size());
            }
        });
    }

    @Test
    void aPullReportsEachLayerInOrderAndReturnsTheImage() {
        List<LayerProgress> records = new ArrayList<>();
        ImageInfo image = pull(pullable(), records);

        assertThat(image.reference()).isEqualTo(pullable().uri());
        assertThat(image.id()).startsWith("sha256:");
        assertThat(image.layers()).isPositive();
        assertThat(image.bytes()).isPositive();
        assertWellOrdered(records, image);
        assertThat(records.getFirst().cached()).isFalse();
        assertThat(cached(pullable())).singleElement().satisfies(i -> {
            assertThat(i.id()).isEqualTo(image.id());
            assertThat(i.layers()).isEqualTo(image.layers());
            assertThat(i.bytes()).isEqualTo(image.bytes());
        });
    }

    @Test
    void aSecondPullFindsEveryLayerCached() {
        ImageInfo first = pull(pullable(), new ArrayList<>());
        List<LayerProgress> records = new ArrayList<>();
        ImageInfo second = pull(pullable(), records);

        assertThat(second.id()).isEqualTo(first.id());
        assertThat(records).hasSize(first.layers()).allMatch(r -> r.cached() && r.done());
        assertThat(cached(pullable())).hasSize(1);
    }

    @Test
    void imagesListsTheContainersThatHoldAnImage() {
        ImageInfo image = pull(pullable(), new ArrayList<>());
        assertThat(cached(pullable())).singleElement().satisfies(i -> assertThat(i.holders()).isEmpty());

        Container a = createFrom(pullable());
        Container b = createFrom(pullable());
        assertThat(cached(pullable())).singleElement().satisfies(i -> {
            assertThat(i.id()).isEqualTo(image.id());
            assertThat(i.holders()).containsExactlyInAnyOrder(a.handle(), b.handle());
            assertThat(i.lastUsed()).isAfterOrEqualTo(image.lastUsed());
        });

        a.destroy();
        assertThat(cached(pullable())).singleElement().satisfies(i -> assertThat(i.holders()).containsExactly(b.handle()));
        b.destroy();
        assertThat(cached(pullable())).singleElement().satisfies(i -> assertThat(i.holders()).isEmpty());
    }

    @Test
    void pruneRemovesOnlyImagesNoContainerHoldsAndKeepsSharedLayers() {
        ImageInfo kept = pull(pullable(), new ArrayList<>());
        ImageInfo other = pull(sharingALayer(), new ArrayList<>());
        Container holder = createFrom(pullable());

        ImagePruneReport first = images().pruneImages();
        assertThat(first.images()).isEqualTo(1);
        // the other image's own layers go; the one it shares with the held image stays
        assertThat(first.layers()).isPositive().isLessThan(other.layers());
        assertThat(first.bytes()).isPositive().isLessThan(other.bytes());
        assertThat(cached(sharingALayer())).isEmpty();
        assertThat(cached(pullable())).singleElement().satisfies(i -> assertThat(i.id()).isEqualTo(kept.id()));

        holder.destroy();
        ImagePruneReport second = images().pruneImages();
        assertThat(second).isEqualTo(new ImagePruneReport(1, kept.layers(), kept.bytes()));
        assertThat(images().images()).isEmpty();
        assertThat(images().pruneImages()).isEqualTo(ImagePruneReport.NONE);
    }

    @Test
    void aPullThatFailsMidwayIsTypedAndCachesNothing() {
        List<LayerProgress> records = new ArrayList<>();
        assertThatThrownBy(() -> pull(failingMidPull(), records)).isInstanceOf(ServiceUnavailableException.class)
                .hasMessageContaining("went away");
        // it failed after its first record: across the wire, after the answer's head
        assertThat(records).isNotEmpty();
        assertThat(records.getLast().done()).isFalse();
        assertThat(cached(failingMidPull())).isEmpty();
        // and the store still works
        assertThat(pull(pullable(), new ArrayList<>()).reference()).isEqualTo(pullable().uri());
    }

    @Test
    void malformedAndUnknownReferencesAreInvalidRequestsWithNoProgress() {
        List<LayerProgress> records = new ArrayList<>();
        assertThatThrownBy(() -> pull(ImageRef.NONE, records)).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("image reference");
        assertThatThrownBy(() -> pull(ImageRef.of("docker:///busybox\n#1"), records)).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("control characters");
        assertThatThrownBy(() -> pull(ImageRef.of("x".repeat(5000)), records)).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("too long");
        assertThatThrownBy(() -> pull(unknown(), records)).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining(unknown().uri());
        assertThat(records).isEmpty();
        assertThat(images().images()).isEmpty();
    }

    @Test
    void aPasswordIsNeverPartOfAnError() {
        ImageRef withSecret = new ImageRef(unknown().uri(), "user", "hunter2-secret");
        assertThatThrownBy(() -> images().pullImage(withSecret, p -> { })).isInstanceOf(InvalidRequestException.class)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("hunter2-secret"));
    }
}
