package dev.cloche.api;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/** Garden's {@code ContainerInfo}. {@code state} is "active" or "stopped". */
public record ContainerInfo(
        String state,
        List<String> events,
        String hostIp,
        String containerIp,
        String containerIpv6,
        String externalIp,
        String containerPath,
        List<String> processIds,
        Map<String, String> properties,
        List<PortMapping> mappedPorts) {

    public ContainerInfo {
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(hostIp, "hostIp");
        Objects.requireNonNull(containerIp, "containerIp");
        Objects.requireNonNull(containerIpv6, "containerIpv6");
        Objects.requireNonNull(externalIp, "externalIp");
        Objects.requireNonNull(containerPath, "containerPath");
        events = List.copyOf(events);
        processIds = List.copyOf(processIds);
        properties = Map.copyOf(properties);
        mappedPorts = List.copyOf(mappedPorts);
    }
}
