package dev.cloche.client;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.GardenClient;
import dev.cloche.api.ImageCatalog;
import dev.cloche.api.ImageRef;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.core.ContainerManager;
import dev.cloche.core.CoreConfig;
import dev.cloche.server.GardenServer;
import dev.cloche.testkit.FakeBackend;
import dev.cloche.testkit.FakeImages;
import dev.cloche.testkit.ImageCatalogConformance;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** RemoteGardenClient as an image catalog, over the image routes (a unix socket) to the real server and core. */
class RemoteImageCatalogConformanceTest extends ImageCatalogConformance {
    private final ContainerManager core = ContainerManager.start(new FakeBackend(), CoreConfig.DEFAULTS);
    @TempDir
    Path dir;
    private GardenServer server;
    private RemoteGardenClient client;

    @BeforeEach
    void startServer() {
        server = GardenServer.start(core, Optional.empty(), Optional.of(core), Optional.empty(),
                Optional.of(dir.resolve("garden.sock")));
        client = RemoteGardenClient.unix(server.unixSocket().orElseThrow());
    }

    @AfterEach
    void stopServer() {
        client.close();
        server.close();
        core.close();
    }

    @Override
    protected GardenClient garden() {
        return client;
    }

    @Override
    protected ImageCatalog images() {
        return client;
    }

    @Test
    void aGardenServerWithoutImagesSaysSo() {
        try (GardenServer plain = GardenServer.unix(core, dir.resolve("plain.sock"));
             RemoteGardenClient c = RemoteGardenClient.unix(plain.unixSocket().orElseThrow())) {
            assertThatThrownBy(c::images).isInstanceOf(InvalidRequestException.class).hasMessageContaining("serves no images");
            assertThatThrownBy(c::pruneImages).isInstanceOf(InvalidRequestException.class);
            assertThatThrownBy(() -> c.pullImage(ImageRef.of(FakeImages.BUSYBOX), p -> { }))
                    .isInstanceOf(InvalidRequestException.class).hasMessageContaining("serves no images");
        }
    }
}
