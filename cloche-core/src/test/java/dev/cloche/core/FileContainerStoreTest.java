package dev.cloche.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.cloche.api.Container;
import dev.cloche.api.ContainerSpec;
import dev.cloche.spi.RestoredContainer;
import dev.cloche.testkit.FakeBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileContainerStoreTest {
    @TempDir
    Path dir;

    @Test
    void roundTripsAnyHandleAndProperty() {
        FileContainerStore store = new FileContainerStore(dir);
        String handle = "odd handle: ü=ß\\#!" + "x".repeat(300);
        Map<String, String> props = Map.of("k=1", "v:\n2", "empty", "", "uni", "ø");
        store.save(handle, new ContainerStore.Saved(props, Duration.ofSeconds(90)));
        assertThat(store.load(handle)).contains(new ContainerStore.Saved(props, Duration.ofSeconds(90)));
        assertThat(store.load("other")).isEmpty();
        store.delete(handle);
        store.delete(handle);
        assertThat(store.load(handle)).isEmpty();
    }

    @Test
    void propertiesAndGraceTimeSurviveARestartOfTheCore() throws Exception {
        FakeBackend backend = new FakeBackend();
        FileContainerStore store = new FileContainerStore(dir);
        try (ContainerManager first = ContainerManager.start(backend, CoreConfig.DEFAULTS, store)) {
            Container c = first.create(ContainerSpec.withHandle("kept").withProperties(Map.of("owner", "me")));
            c.setProperty("color", "blue");
            c.removeProperty("owner");
            first.create(ContainerSpec.withHandle("gone"));
            first.destroy("gone");
        }
        backend.addRestorable(new RestoredContainer("kept", Optional.of(backend.container("kept")), Optional.empty()));
        try (ContainerManager second = ContainerManager.start(backend, CoreConfig.DEFAULTS, store)) {
            assertThat(second.lookup("kept").properties()).isEqualTo(Map.of("color", "blue"));
            second.lookup("kept").setGraceTime(Duration.ofMillis(300));
        }
        try (var files = Files.list(dir)) {
            assertThat(files.count()).as("state of the destroyed container is deleted").isEqualTo(1);
        }
        // A third start re-arms the saved grace time: the container is reaped without any call touching it.
        try (ContainerManager third = ContainerManager.start(backend, CoreConfig.DEFAULTS, store)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> backend.liveHandles().isEmpty());
        }
    }
}
