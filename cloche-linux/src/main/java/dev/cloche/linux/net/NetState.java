package dev.cloche.linux.net;

import dev.cloche.api.PortMapping;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What a container's network is made of, persisted in its depot entry ({@link NetFiles#state()}) so a restarted daemon can
 * re-apply or remove it. {@code rules} are NetOut rules already rendered as nftables rule text.
 */
record NetState(String id, String containerIp, String subnet, String hostVeth, String containerVeth, String bridge,
                List<PortMapping> ports, List<String> rules, long rate, long burst) {
    NetState {
        Objects.requireNonNull(id, "id");
        ports = List.copyOf(ports);
        rules = List.copyOf(rules);
    }

    int ip() { return Ipv4.parse(containerIp); }

    Ipv4.Subnet subnetValue() { return Ipv4.Subnet.parse(subnet); }

    String hex() { return Ipv4.hex(ip()); }

    NetState withPort(PortMapping p) {
        List<PortMapping> l = new ArrayList<>(ports);
        l.add(p);
        return new NetState(id, containerIp, subnet, hostVeth, containerVeth, bridge, l, rules, rate, burst);
    }

    NetState withRules(List<String> more) {
        List<String> l = new ArrayList<>(rules);
        l.addAll(more);
        return new NetState(id, containerIp, subnet, hostVeth, containerVeth, bridge, ports, l, rate, burst);
    }
}
