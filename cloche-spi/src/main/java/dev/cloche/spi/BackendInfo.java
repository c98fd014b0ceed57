package dev.cloche.spi;

import dev.cloche.api.PortMapping;
import java.util.List;
import java.util.Objects;

/**
 * Backend-owned facts of a container.
 *
 * @param state "active" or "stopped"
 * @param events e.g. "oom"
 * @param containerPath the container's directory on the host (Garden's {@code ContainerPath})
 */
public record BackendInfo(String state, List<String> events, String hostIp, String containerIp, String externalIp,
                          String containerPath, List<PortMapping> mappedPorts) {
    public BackendInfo {
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(hostIp, "hostIp");
        Objects.requireNonNull(containerIp, "containerIp");
        Objects.requireNonNull(externalIp, "externalIp");
        Objects.requireNonNull(containerPath, "containerPath");
        events = List.copyOf(events);
        mappedPorts = List.copyOf(mappedPorts);
    }
}
