package dev.cloche.bench;

import dev.cloche.api.Container;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.GardenClient;
import dev.cloche.api.ImageCatalog;
import dev.cloche.api.ImageRef;
import dev.cloche.bench.Report.Row;
import dev.cloche.testkit.registry.LocalRegistry;
import dev.cloche.testkit.registry.TestImages;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The image rows: a create from a registry image, cold (the store emptied first) and warm (the image cached), each
 * interleaved with a create from the directory rootfs (the "raw" column here) and with podman pulling and creating
 * the same image from the same registry. The registry is Debian's docker-registry on loopback, seeded with the
 * rootfs as a one-layer image (testkit's TestImages, umoci and skopeo).
 */
final class ImageRows {
    /** BenchMain's interleaving loop: rounds, warm-up, the contenders in turn. */
    interface Interleave {
        void run(String name, List<BenchMain.Timed> contenders, List<Samples> out, int perRound, double scale) throws Exception;
    }

    private final GardenClient garden;
    private final ImageCatalog catalog;
    private final Optional<Podman> podman;
    private final Path rootfs;
    private final int iterations;

    ImageRows(GardenClient garden, ImageCatalog catalog, Optional<Podman> podman, Path rootfs, int iterations) {
        this.garden = garden;
        this.catalog = catalog;
        this.podman = podman;
        this.rootfs = rootfs;
        this.iterations = iterations;
    }

    List<Row> measure(Interleave interleave) throws Exception {
        try (LocalRegistry registry = LocalRegistry.start(); TestImages images = new TestImages(rootfs)) {
            images.push(registry, TestImages.BASE, "bench/base");
            String ref = "docker://" + registry.address() + "/bench/base#" + TestImages.BASE;
            String podmanRef = registry.address() + "/bench/base:" + TestImages.BASE;
            List<Samples> cold = List.of(new Samples(), new Samples(), new Samples());
            interleave.run("images-cold", List.of(
                    () -> {
                        catalog.pruneImages();
                        return timedCreate(ContainerSpec.empty().withImage(ImageRef.of(ref)));
                    },
                    () -> timedCreate(ContainerSpec.empty()),
                    () -> {
                        Podman p = podman.orElseThrow();
                        p.run("rmi", "--ignore", "-f", podmanRef);
                        long t0 = System.nanoTime();
                        p.run("pull", "-q", "--tls-verify=false", "docker://" + podmanRef);
                        String id = p.run("create", "--network=none", podmanRef, "/bin/true").strip();
                        long t = System.nanoTime() - t0;
                        p.run("rm", "-f", id);
                        return t;
                    }), cold, Math.max(1, iterations / 4), 1e-6);
            List<Samples> warm = List.of(new Samples(), new Samples(), new Samples());
            interleave.run("images-warm", List.of(
                    () -> timedCreate(ContainerSpec.empty().withImage(ImageRef.of(ref))),
                    () -> timedCreate(ContainerSpec.empty()),
                    () -> {
                        Podman p = podman.orElseThrow();
                        long t0 = System.nanoTime();
                        String id = p.run("create", "--network=none", podmanRef, "/bin/true").strip();
                        long t = System.nanoTime() - t0;
                        p.run("rm", "-f", id);
                        return t;
                    }), warm, iterations, 1e-6);
            catalog.pruneImages();
            Optional<Samples> coldPodman = podman.map(p -> cold.get(2));
            Optional<Samples> warmPodman = podman.map(p -> warm.get(2));
            return List.of(
                    new Row("image-cold", "image, cold: create from a registry image the store lacks (pull, verify, "
                            + "unpack, shift, mount)", "ms", false, cold.get(0), Optional.of(cold.get(1)), coldPodman,
                            Optional.empty(), Optional.empty(),
                            "raw column: a create from the directory rootfs; podman: pull + create of the same image from "
                            + "the same registry"),
                    new Row("image-warm", "image, warm: create from a cached registry image", "ms", false, warm.get(0),
                            Optional.of(warm.get(1)), warmPodman, Optional.of(1.1), Optional.empty(),
                            "raw column: a create from the directory rootfs (goal ≤ 1.1× it); podman: create of the "
                            + "pulled image"));
        }
    }

    /** A create's time; the container is destroyed afterwards, untimed. */
    private long timedCreate(ContainerSpec spec) {
        long t0 = System.nanoTime();
        Container c = garden.create(spec);
        long t = System.nanoTime() - t0;
        c.destroy();
        return t;
    }
}
