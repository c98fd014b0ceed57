package dev.cloche.core;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.cloche.api.PortMapping;
import dev.cloche.spi.BackendInfo;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * Guardian mirrors a container's network facts into Info's properties as {@code garden.network.*}, and GATS reads
 * them there. {@code garden.network.mapped-ports} is Guardian's JSON of its port mappings: Go's encoding of
 * {@code []garden.PortMapping}, compact, fields in struct order ({@code HostPort}, then {@code ContainerPort}).
 */
final class NetworkProperties {
    static final String HOST_IP = "garden.network.host-ip";
    static final String CONTAINER_IP = "garden.network.container-ip";
    static final String EXTERNAL_IP = "garden.network.external-ip";
    static final String MAPPED_PORTS = "garden.network.mapped-ports";

    private static final ObjectMapper JSON = JsonMapper.builder().build();

    private NetworkProperties() {}

    /** Go's field names and order, which Jackson would otherwise take from the record's (or sort). */
    @JsonPropertyOrder({"HostPort", "ContainerPort"})
    private record GoPortMapping(@JsonProperty("HostPort") int hostPort, @JsonProperty("ContainerPort") int containerPort) {
        static GoPortMapping of(PortMapping p) {
            return new GoPortMapping(p.hostPort(), p.containerPort());
        }
    }

    /** The user's properties plus the network ones, sorted by name; a container without network gets none. */
    static Map<String, String> with(Map<String, String> properties, BackendInfo info) {
        Map<String, String> out = new TreeMap<>(properties);
        if (!info.containerIp().isEmpty()) {
            out.put(HOST_IP, info.hostIp());
            out.put(CONTAINER_IP, info.containerIp());
            out.put(EXTERNAL_IP, info.externalIp());
            out.put(MAPPED_PORTS, mappedPorts(info.mappedPorts()));
        }
        return out;
    }

    static String mappedPorts(List<PortMapping> ports) {
        return JSON.writeValueAsString(ports.stream().map(GoPortMapping::of).toList());
    }
}
