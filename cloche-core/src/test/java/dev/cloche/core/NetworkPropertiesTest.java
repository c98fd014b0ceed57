package dev.cloche.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloche.api.PortMapping;
import dev.cloche.spi.BackendInfo;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Guardian's {@code garden.network.*} Info properties, byte for byte (GATS and Go clients parse them). */
class NetworkPropertiesTest {

    private static BackendInfo info(String containerIp, List<PortMapping> ports) {
        return new BackendInfo("active", List.of(), "10.254.0.1", containerIp, "192.0.2.7", "/depot/x", ports);
    }

    @Test
    void mappedPortsAreGosCompactJsonWithHostPortFirst() {
        assertThat(NetworkProperties.mappedPorts(List.of())).isEqualTo("[]");
        assertThat(NetworkProperties.mappedPorts(List.of(new PortMapping(61001, 8080))))
                .isEqualTo("[{\"HostPort\":61001,\"ContainerPort\":8080}]");
        assertThat(NetworkProperties.mappedPorts(List.of(new PortMapping(1, 2), new PortMapping(65535, 0))))
                .isEqualTo("[{\"HostPort\":1,\"ContainerPort\":2},{\"HostPort\":65535,\"ContainerPort\":0}]");
    }

    @Test
    void aContainerWithAnAddressGetsAllFourNextToTheUsersPropertiesSorted() {
        Map<String, String> out = NetworkProperties.with(Map.of("zeta", "z", "alpha", "a"),
                info("10.254.0.2", List.of(new PortMapping(61000, 80))));
        assertThat(out).containsExactly(
                Map.entry("alpha", "a"),
                Map.entry("garden.network.container-ip", "10.254.0.2"),
                Map.entry("garden.network.external-ip", "192.0.2.7"),
                Map.entry("garden.network.host-ip", "10.254.0.1"),
                Map.entry("garden.network.mapped-ports", "[{\"HostPort\":61000,\"ContainerPort\":80}]"),
                Map.entry("zeta", "z"));
    }

    @Test
    void aContainerWithoutAnAddressGetsNone() {
        assertThat(NetworkProperties.with(Map.of("a", "1"), info("", List.of(new PortMapping(61000, 80)))))
                .containsExactly(Map.entry("a", "1"));
    }
}
