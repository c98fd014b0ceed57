package dev.cloche.core;

import dev.cloche.api.GardenClient;
import dev.cloche.api.ImageCatalog;
import dev.cloche.testkit.FakeBackend;
import dev.cloche.testkit.ImageCatalogConformance;
import org.junit.jupiter.api.AfterEach;

/** The core is the daemon's image catalog: it checks the request and hands it to the backend's store. */
class ContainerManagerImageConformanceTest extends ImageCatalogConformance {
    private final ContainerManager core = ContainerManager.start(new FakeBackend(), CoreConfig.DEFAULTS);

    @AfterEach
    void close() {
        core.close();
    }

    @Override
    protected GardenClient garden() {
        return core;
    }

    @Override
    protected ImageCatalog images() {
        return core;
    }
}
