package dev.cloche.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.InvalidRequestException;
import dev.cloche.spi.BackendProvider;
import java.nio.file.Path;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class SettingsTest {
    @Test
    void defaults() {
        Settings s = Settings.from(Map.of());
        assertThat(s.depot()).isEqualTo(Path.of("/var/lib/cloche"));
        assertThat(s.runtime()).isEqualTo("runc");
        assertThat(s.runtimeRoot()).isEqualTo(Path.of("/run/cloche/runtime"));
        assertThat(s.defaultRootfs()).isEqualTo(Path.of("/var/lib/cloche/rootfs"));
        assertThat(s.initBinary()).isEqualTo(Path.of("/var/lib/cloche/bin/cloche-init"));
        assertThat(s.monitorBinary()).isEqualTo(Path.of("/var/lib/cloche/bin/cloche-monitor"));
        assertThat(s.cgroupParent()).isEqualTo("cloche");
        assertThat(s.maxContainers()).isEqualTo(16384);
        assertThat(s.runtimeTimeout()).isEqualTo(java.time.Duration.ofSeconds(60));
    }

    @Test
    void theRuntimesBoundIsADurationAboveZero() {
        assertThat(Settings.from(Map.of("runtimeTimeout", "5s")).runtimeTimeout()).isEqualTo(java.time.Duration.ofSeconds(5));
        assertThatThrownBy(() -> Settings.from(Map.of("runtimeTimeout", "0"))).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("runtimeTimeout");
        assertThatThrownBy(() -> Settings.from(Map.of("runtimeTimeout", "soon"))).isInstanceOf(InvalidRequestException.class);
    }

    /** capacity's max_containers is the smallest real bound, and says what it is. */
    @Test
    void theContainerBoundIsTheSmallestOfTheSettingAndTheNetworkPool() {
        ContainerBound defaults = ContainerBound.of(Settings.from(Map.of()));
        assertThat(defaults.containers()).as("the defaults hold 10,000 containers").isEqualTo(16384);
        ContainerBound pool = ContainerBound.of(Settings.from(Map.of("networkPool", "10.254.0.0/22")));
        assertThat(pool).isEqualTo(new ContainerBound(256,
                "the network pool 10.254.0.0/22 holds 256 containers, a /30 each (backend setting networkPool)"));
        assertThat(ContainerBound.of(Settings.from(Map.of("networkPool", "10.254.0.0/22", "maxContainers", "100"))))
                .isEqualTo(new ContainerBound(100, "the backend setting maxContainers is 100"));
        assertThat(ContainerBound.of(Settings.from(Map.of("networkPool", "none"))).containers()).isEqualTo(16384);
    }

    @Test
    void depotMovesItsDerivedDefaultsAndCrunIsSelectable() {
        Settings s = Settings.from(Map.of("depot", "/d", "runtime", "crun", "runtimePath", "/opt/crun"));
        assertThat(s.defaultRootfs()).isEqualTo(Path.of("/d/rootfs"));
        assertThat(s.runtimePath()).isEqualTo(Path.of("/opt/crun"));
    }

    @Test
    void theMonitorLivesBesideTheInitUnlessGiven() {
        assertThat(Settings.from(Map.of("initBinary", "/opt/c/init")).monitorBinary()).isEqualTo(Path.of("/opt/c/cloche-monitor"));
        assertThat(Settings.from(Map.of("initBinary", "/opt/c/init", "monitorBinary", "/m")).monitorBinary()).isEqualTo(Path.of("/m"));
    }

    @Test
    void rejectsUnknownKeysAndBadValues() {
        assertThatThrownBy(() -> Settings.from(Map.of("dpot", "/x"))).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> Settings.from(Map.of("runtime", "docker"))).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> Settings.from(Map.of("cgroupParent", "../x"))).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> Settings.from(Map.of("maxContainers", "many"))).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> Settings.from(Map.of("maxContainers", "0"))).isInstanceOf(InvalidRequestException.class);
    }

    @Test
    void providerIsFoundByServiceLoader() {
        assertThat(ServiceLoader.load(BackendProvider.class).stream().map(p -> p.get().name())).contains("linux");
    }

    @Test
    void runtimeIdsAreHandlesOrStableHashes() {
        assertThat(LinuxBackend.runtimeId("my-handle_1.x")).isEqualTo("my-handle_1.x");
        assertThat(LinuxBackend.runtimeId("has space")).startsWith("h-").hasSize(42).isEqualTo(LinuxBackend.runtimeId("has space"));
        assertThat(LinuxBackend.runtimeId("x".repeat(65))).startsWith("h-");
    }
}
