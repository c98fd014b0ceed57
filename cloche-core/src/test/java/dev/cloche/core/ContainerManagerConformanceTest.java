package dev.cloche.core;

import dev.cloche.api.GardenClient;
import dev.cloche.testkit.FakeBackend;
import dev.cloche.testkit.GardenClientConformance;

/** The core is a GardenClient: in one process, every caller talks to the same ContainerManager. */
class ContainerManagerConformanceTest extends GardenClientConformance {
    private final ContainerManager core = ContainerManager.start(new FakeBackend(), CoreConfig.DEFAULTS);

    @Override
    protected GardenClient newClient() {
        return core;
    }
}
