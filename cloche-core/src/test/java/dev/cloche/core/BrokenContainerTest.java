package dev.cloche.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.ContainerNotFoundException;
import dev.cloche.api.GardenException;
import dev.cloche.spi.RestoredContainer;
import dev.cloche.testkit.FakeBackend;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A container the backend found but could not restore: listed, refused on use, and its leftovers go with its destroy. */
class BrokenContainerTest {
    @Test
    void destroyingABrokenContainerRemovesWhatTheBackendKeptOfIt() {
        FakeBackend backend = new FakeBackend();
        AtomicInteger removed = new AtomicInteger();
        backend.addRestorable(new RestoredContainer("dead", Optional.empty(), Optional.of("unknown to the runtime"),
                Optional.of(removed::incrementAndGet)));
        backend.addRestorable(new RestoredContainer("garbage", Optional.empty(), Optional.of("unreadable entry")));
        try (ContainerManager core = ContainerManager.start(backend, CoreConfig.DEFAULTS)) {
            assertThat(core.containers(Map.of())).extracting(c -> c.handle()).containsExactlyInAnyOrder("dead", "garbage");
            assertThatThrownBy(() -> core.lookup("dead").info()).isInstanceOf(GardenException.class)
                    .hasMessageContaining("could not be restored: unknown to the runtime");
            assertThat(removed).hasValue(0);

            core.destroy("dead");
            assertThat(removed).as("the backend's leftovers are removed once, by the destroy").hasValue(1);
            assertThatThrownBy(() -> core.lookup("dead")).isInstanceOf(ContainerNotFoundException.class);
            // a broken container the backend cannot clean (nothing to run) is still forgotten
            core.destroy("garbage");
            assertThat(core.containers(Map.of())).isEmpty();
        }
    }

    @Test
    void aFailedRemovalKeepsTheBrokenContainerListedForAnotherDestroy() {
        FakeBackend backend = new FakeBackend();
        AtomicInteger attempts = new AtomicInteger();
        backend.addRestorable(new RestoredContainer("stuck", Optional.empty(), Optional.of("unknown to the runtime"),
                Optional.of(() -> {
                    if (attempts.incrementAndGet() == 1) throw new IllegalStateException("device busy");
                })));
        try (ContainerManager core = ContainerManager.start(backend, CoreConfig.DEFAULTS)) {
            assertThatThrownBy(() -> core.destroy("stuck")).isInstanceOf(GardenException.class).hasMessageContaining("device busy");
            assertThat(core.containers(Map.of())).extracting(c -> c.handle()).containsExactly("stuck");
            core.destroy("stuck");
            assertThat(attempts).hasValue(2);
            assertThat(core.containers(Map.of())).isEmpty();
        }
    }
}
