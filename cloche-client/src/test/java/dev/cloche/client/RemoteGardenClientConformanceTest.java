package dev.cloche.client;

import dev.cloche.api.GardenClient;
import dev.cloche.core.ContainerManager;
import dev.cloche.core.CoreConfig;
import dev.cloche.server.GardenServer;
import dev.cloche.testkit.FakeBackend;
import dev.cloche.testkit.GardenClientConformance;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** RemoteGardenClient over Garden's wire (a unix socket) to the real server, core and fake backend. */
class RemoteGardenClientConformanceTest extends GardenClientConformance {
    private final ContainerManager core = ContainerManager.start(new FakeBackend(), CoreConfig.DEFAULTS);
    @TempDir
    Path dir;
    private GardenServer server;

    @BeforeEach
    void startServer() {
        server = GardenServer.unix(core, dir.resolve("garden.sock"));
    }

    @AfterEach
    void stopServer() {
        server.close();
        core.close();
    }

    @Override
    protected GardenClient newClient() {
        return RemoteGardenClient.unix(server.unixSocket().orElseThrow());
    }
}
