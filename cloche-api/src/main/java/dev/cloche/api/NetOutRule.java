package dev.cloche.api;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** Garden's {@code NetOutRule}: an egress allow rule. */
public record NetOutRule(Protocol protocol, List<IpRange> networks, List<PortRange> ports, Optional<IcmpControl> icmps, boolean log) {

    /** Wire values: 0 all, 1 tcp, 2 udp, 3 icmp, 4 icmpv6. */
    public enum Protocol { ALL, TCP, UDP, ICMP, ICMPV6 }

    /** Inclusive IP range, as text. */
    public record IpRange(String start, String end) {
        public IpRange { Objects.requireNonNull(start, "start"); Objects.requireNonNull(end, "end"); }
    }

    /** Inclusive port range. */
    public record PortRange(int start, int end) {}

    /** ICMP type and optional code (absent = any code). */
    public record IcmpControl(int type, Optional<Integer> code) {
        public IcmpControl { Objects.requireNonNull(code, "code"); }
    }

    public NetOutRule {
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(icmps, "icmps");
        networks = List.copyOf(networks);
        ports = List.copyOf(ports);
    }
}
