package dev.cloche.linux;

import static dev.cloche.linux.Runs.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.ContainerSpec;
import dev.cloche.api.ImageRef;
import dev.cloche.api.ServiceUnavailableException;
import dev.cloche.spi.BackendContainer;
import dev.cloche.testkit.RootBackendExtension;
import dev.cloche.testkit.registry.CuttingRelay;
import dev.cloche.testkit.registry.LocalRegistry;
import dev.cloche.testkit.registry.TestImages;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 22's registry that dies mid-pull (docs/reliability.md): a real docker-registry behind a loopback relay that
 * resets every connection once the registry has sent 64 KiB on it (mid-blob: the manifest and config are smaller),
 * then one that refuses to serve at all. Each pull fails as ServiceUnavailable, no partial layer is kept (neither as a
 * layer nor in the store's tmp/), nothing of the failed create is left, and once the registry is back a retry works.
 */
class RegistryDiesIT {
    @RegisterExtension
    static final RootBackendExtension ROOT = RootBackendExtension.builder().cgroupParent("cloche-it-regdies")
            .withoutNetwork().build();

    private static LocalRegistry registry;
    private static TestImages images;
    private static CuttingRelay relay;

    @BeforeAll
    static void seed() {
        registry = LocalRegistry.start();
        images = TestImages.fromDefaultRootfs();
        images.push(registry, TestImages.LAYERED, "it/dies");
        relay = new CuttingRelay(registry.port());
    }

    @AfterAll
    static void stop() {
        if (relay != null) relay.close();
        if (registry != null) registry.close();
        if (images != null) images.close();
    }

    private static String image() {
        return "docker://" + relay.address() + "/it/dies#" + TestImages.LAYERED;
    }

    /** The store's directories for pulls under way: empty whenever no pull runs. */
    private static List<Path> storeTemps() throws IOException {
        Path tmp = ROOT.depot().resolve("images/tmp");
        if (!Files.isDirectory(tmp)) return List.of();
        try (var s = Files.list(tmp)) {
            return s.toList();
        }
    }

    /** What the store holds as complete layers: a directory per layer, named by its diff id. */
    private static List<Path> storedLayers() throws IOException {
        Path layers = ROOT.depot().resolve("images/layers/sha256");
        if (!Files.isDirectory(layers)) return List.of();
        try (var s = Files.list(layers)) {
            return s.toList();
        }
    }

    @Test
    void aRegistryThatDiesMidPullFailsTypedKeepsNoPartialLayerAndARetrySucceeds() throws Exception {
        List<Path> layersBefore = storedLayers();
        relay.cutAfter(64 * 1024);
        String handle = ROOT.handle("cut");
        assertThatThrownBy(() -> ROOT.create(ContainerSpec.withHandle(handle).withImage(ImageRef.of(image()))))
                .isInstanceOf(ServiceUnavailableException.class).hasMessageContaining("reading its blob failed");
        assertThat(relay.cuts()).as("connections cut mid-answer").isPositive();
        assertThat(storeTemps()).as("partial pulls left in the store's tmp/").isEmpty();
        assertThat(ROOT.backend().images()).as("images listed after the failed pull")
                .noneMatch(i -> i.reference().contains("it/dies"));
        List<Path> layersAfterCut = storedLayers();

        relay.down();
        assertThatThrownBy(() -> ROOT.backend().pullImage(ImageRef.of(image()), p -> { }))
                .isInstanceOf(ServiceUnavailableException.class);
        assertThat(storeTemps()).isEmpty();
        assertThat(storedLayers()).as("no layer is stored while the registry is gone").isEqualTo(layersAfterCut);

        relay.pass();
        BackendContainer c = ROOT.create(ContainerSpec.withHandle(ROOT.handle("back")).withImage(ImageRef.of(image())));
        assertThat(run(c, "cat", TestImages.ADDED).stdout()).isEqualTo(TestImages.ADDED_CONTENT);
        assertThat(storedLayers().size()).as("every layer stored once the registry is back")
                .isGreaterThan(layersBefore.size());
        ROOT.destroy(c);
        assertThat(storeTemps()).isEmpty();
    }
}
