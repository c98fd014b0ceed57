package dev.cloche.linux.net;

import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.NetOutRule;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The nftables scripts: one table (family inet) per daemon prefix, a chain per container reached through a verdict
 * map on the source address, a map from host port to container address and port for NetIn, and a netdev table per
 * bandwidth-limited container for ingress policing. Every script runs as one nft transaction.
 */
final class NftRules {
    private final String table;
    private final List<Ipv4.Subnet> deny;
    private final String externalIp;

    NftRules(String table, List<Ipv4.Subnet> deny, String externalIp) {
        this.table = table;
        this.deny = List.copyOf(deny);
        this.externalIp = externalIp;
    }

    /**
     * Replaces the table atomically with its empty skeleton. NetIn answers on the external address and on loopback
     * (locally generated, hence the output hook, and masqueraded so the container can answer); containers reach
     * the outside masqueraded; whatever comes in from a container's bridge goes through its own chain.
     */
    String skeleton() {
        String t = "inet " + table;
        return String.join("\n",
                "table " + t + " {}",
                "delete table " + t,
                "table " + t + " {",
                "  set bridges { type ifname; }",
                "  map egress { type ipv4_addr : verdict; }",
                "  map netin { type inet_service : ipv4_addr . inet_service; }",
                "  chain prerouting { type nat hook prerouting priority dstnat; policy accept;",
                "    ip daddr " + externalIp + " dnat ip to tcp dport map @netin; }",
                "  chain output { type nat hook output priority -100; policy accept;",
                "    ip daddr { 127.0.0.1, " + externalIp + " } dnat ip to tcp dport map @netin; }",
                "  chain postrouting { type nat hook postrouting priority srcnat; policy accept;",
                "    ip saddr 127.0.0.0/8 oifname @bridges masquerade",
                "    iifname @bridges oifname != @bridges masquerade; }",
                "  chain forward { type filter hook forward priority filter; policy accept;",
                "    iifname @bridges jump from_container; }",
                "  chain input { type filter hook input priority filter; policy accept;",
                "    iifname @bridges jump from_container; }",
                "  chain from_container {",
                "    ct state established,related accept",
                "    ip saddr vmap @egress",
                "    reject with icmpx type admin-prohibited; }",
                "}") + "\n";
    }

    String chain(NetState s) {
        return "c-" + s.hex();
    }

    private String bwTable(NetState s) {
        return "netdev " + table + "-bw-" + s.hex();
    }

    /**
     * Creates (or rebuilds) everything of one container: its bridge's membership of the bridge set, its chain with its
     * rules, its map entries, its policer.
     */
    List<String> apply(NetState s) {
        String c = "inet " + table + " " + chain(s);
        Ipv4.Subnet subnet = s.subnetValue();
        List<String> cmds = new ArrayList<>();
        // idempotent: the subnet's first container adds it, and a later one repairs a bridge whose first attach failed
        cmds.add(addBridge(s.bridge()));
        cmds.add("add chain " + c);
        cmds.add("flush chain " + c);
        // containers of one subnet talk freely (Garden), but the host's side of the subnet is filtered like any host
        cmds.add("add rule " + c + " ip daddr != " + Ipv4.format(subnet.gateway()) + " ip daddr " + subnet + " accept");
        for (String r : s.rules()) cmds.add("add rule " + c + " " + r);
        if (!deny.isEmpty()) {
            String set = deny.stream().map(Ipv4.Subnet::toString).collect(Collectors.joining(", ", "{ ", " }"));
            cmds.add("add rule " + c + " ip daddr " + set + " meta l4proto tcp reject with tcp reset");
            cmds.add("add rule " + c + " ip daddr " + set + " reject with icmpx type admin-prohibited");
        }
        cmds.add("add rule " + c + " accept");
        cmds.add("add element inet " + table + " egress { " + s.containerIp() + " : jump " + chain(s) + " }");
        for (var p : s.ports()) {
            cmds.add("add element inet " + table + " netin { " + p.hostPort() + " : " + s.containerIp() + " . " + p.containerPort() + " }");
        }
        if (s.rate() > 0) {
            cmds.add("add table " + bwTable(s));
            cmds.add("delete table " + bwTable(s));
            cmds.add("add table " + bwTable(s));
            cmds.add("add chain " + bwTable(s) + " in { type filter hook ingress device \"" + s.hostVeth() + "\" priority 0; }");
            cmds.add("add rule " + bwTable(s) + " in limit rate over " + s.rate() + " bytes/second burst "
                    + s.burst() + " bytes drop");
        }
        return cmds;
    }

    /** Rebuilds only the container's chain (after NetOut added rules). */
    List<String> rebuildChain(NetState s) {
        return apply(new NetState(s.id(), s.containerIp(), s.subnet(), s.hostVeth(), s.containerVeth(), s.bridge(),
                List.of(), s.rules(), 0, 0)).stream().filter(l -> !l.startsWith("add element")).toList();
    }

    /** Removes everything of one container; succeeds whether or not the parts exist (add before delete). */
    List<String> remove(NetState s) {
        String c = "inet " + table + " " + chain(s);
        List<String> cmds = new ArrayList<>();
        cmds.add("add chain " + c);
        cmds.add("add element inet " + table + " egress { " + s.containerIp() + " : jump " + chain(s) + " }");
        cmds.add("delete element inet " + table + " egress { " + s.containerIp() + " }");
        cmds.add("flush chain " + c);
        cmds.add("delete chain " + c);
        for (var p : s.ports()) {
            cmds.add("add element inet " + table + " netin { " + p.hostPort() + " : " + s.containerIp() + " . " + p.containerPort() + " }");
            cmds.add("delete element inet " + table + " netin { " + p.hostPort() + " }");
        }
        cmds.add("add table " + bwTable(s));
        cmds.add("delete table " + bwTable(s));
        return cmds;
    }

    String addPort(NetState s, int hostPort, int containerPort) {
        return "add element inet " + table + " netin { " + hostPort + " : " + s.containerIp() + " . " + containerPort + " }";
    }

    String addBridge(String bridge) {
        return "add element inet " + table + " bridges { \"" + bridge + "\" }";
    }

    String removeBridge(String bridge) {
        return "add element inet " + table + " bridges { \"" + bridge + "\" }; delete element inet " + table
                + " bridges { \"" + bridge + "\" }";
    }

    /** A Garden NetOut rule as nftables rule text (an accept, optionally logged). */
    static String render(NetOutRule r, String logPrefix) {
        List<String> m = new ArrayList<>();
        if (!r.networks().isEmpty()) {
            List<String> ranges = new ArrayList<>();
            for (NetOutRule.IpRange range : r.networks()) {
                int start = Ipv4.parse(range.start());
                int end = range.end().isEmpty() ? start : Ipv4.parse(range.end());
                if (!Ipv4.le(start, end)) throw new InvalidRequestException("IP range start after end: " + range);
                ranges.add(start == end ? Ipv4.format(start) : Ipv4.format(start) + "-" + Ipv4.format(end));
            }
            m.add("ip daddr { " + String.join(", ", ranges) + " }");
        }
        switch (r.protocol()) {
            case ALL -> {
                if (!r.ports().isEmpty()) throw new InvalidRequestException("ports can only be given for tcp or udp rules");
            }
            case TCP, UDP -> {
                String proto = r.protocol() == NetOutRule.Protocol.TCP ? "tcp" : "udp";
                if (r.ports().isEmpty()) {
                    m.add("meta l4proto " + proto);
                } else {
                    List<String> ports = new ArrayList<>();
                    for (NetOutRule.PortRange p : r.ports()) {
                        if (p.start() < 0 || p.end() > 65535 || p.start() > (p.end() == 0 ? p.start() : p.end())) {
                            throw new InvalidRequestException("bad port range: " + p.start() + "-" + p.end());
                        }
                        ports.add(p.end() == 0 || p.end() == p.start() ? String.valueOf(p.start()) : p.start() + "-" + p.end());
                    }
                    m.add(proto + " dport { " + String.join(", ", ports) + " }");
                }
            }
            case ICMP -> {
                // ports mean nothing for ICMP (Garden ignores them)
                if (r.icmps().isPresent()) {
                    NetOutRule.IcmpControl ic = r.icmps().get();
                    m.add("icmp type " + ic.type());
                    ic.code().ifPresent(code -> m.add("icmp code " + code));
                } else {
                    m.add("meta l4proto icmp");
                }
            }
            case ICMPV6 -> throw new InvalidRequestException("container networks are IPv4 only: icmpv6 rules are not supported");
        }
        if (r.log()) m.add("log prefix \"" + logPrefix + " \"");
        m.add("accept");
        return String.join(" ", m);
    }
}
