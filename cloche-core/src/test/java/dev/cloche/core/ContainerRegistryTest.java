package dev.cloche.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.Capacity;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.ResourceExhaustedException;
import dev.cloche.spi.BackendContainer;
import dev.cloche.spi.BackendSpec;
import dev.cloche.spi.ContainerBackend;
import dev.cloche.spi.RestoredContainer;
import dev.cloche.testkit.FakeBackend;
import java.util.List;
import org.junit.jupiter.api.Test;

class ContainerRegistryTest {

    /** A create past the backend's bound is a typed error that names what sets the bound, in the backend's words. */
    @Test
    void aCreatePastTheMaximumNamesTheBound() {
        FakeBackend fake = new FakeBackend();
        fake.reportCapacity(new Capacity(1, 1, 1, 2));
        ContainerBackend backend = new ContainerBackend() {
            @Override public BackendContainer create(BackendSpec spec) { return fake.create(spec); }
            @Override public List<RestoredContainer> restore() { return fake.restore(); }
            @Override public Capacity capacity() { return fake.capacity(); }
            @Override public String containerBound() { return "the network pool 10.0.0.0/29 holds 2 containers"; }
            @Override public void close() { fake.close(); }
        };
        try (ContainerManager manager = ContainerManager.start(backend, CoreConfig.DEFAULTS)) {
            manager.create(ContainerSpec.withHandle("a"));
            manager.create(ContainerSpec.withHandle("b"));
            assertThatThrownBy(() -> manager.create(ContainerSpec.withHandle("c")))
                    .isInstanceOf(ResourceExhaustedException.class)
                    .hasMessage("cannot create container c: the maximum of 2 containers is reached "
                            + "(the network pool 10.0.0.0/29 holds 2 containers)");
            manager.destroy("a");
            assertThat(manager.create(ContainerSpec.withHandle("c")).handle()).isEqualTo("c");
        }
    }
}
