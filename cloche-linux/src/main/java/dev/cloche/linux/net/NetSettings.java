package dev.cloche.linux.net;

import dev.cloche.api.InvalidRequestException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The networking settings of the Linux backend (keys in {@link #KEYS}).
 *
 * @param pool the default pool /30s are taken from; empty = networking off (containers get loopback only)
 * @param prefix starts every interface name (at most 5 characters, interface names are limited to 15) and, after
 *               {@code cloche-}, every nftables table: parallel daemons with different prefixes never collide
 * @param portFirst first host port NetIn hands out for host port 0
 * @param portLast last such port (inclusive)
 * @param denyNetworks destinations containers may not reach unless a NetOut rule allows them
 * @param externalIp the address NetIn ports are published on (besides loopback); empty = detect
 * @param dnsServers written to the containers' /etc/resolv.conf; empty list = the host's non-loopback nameservers
 */
public record NetSettings(Optional<Ipv4.Subnet> pool, String prefix, int portFirst, int portLast,
                          List<Ipv4.Subnet> denyNetworks, String externalIp, Optional<List<String>> dnsServers) {

    public static final String DEFAULT_POOL = "10.254.0.0/16";

    public static final Set<String> KEYS = Set.of("networkPool", "networkPrefix", "portPool", "denyNetworks",
            "externalIp", "dnsServers");

    public NetSettings {
        if (!prefix.matches("[a-z][a-z0-9]{0,4}")) {
            throw new InvalidRequestException("networkPrefix must be 1-5 lower-case letters or digits: " + prefix);
        }
        if (portFirst < 1 || portLast > 65535 || portFirst > portLast) {
            throw new InvalidRequestException("portPool must be FIRST-LAST within 1-65535: " + portFirst + "-" + portLast);
        }
        denyNetworks = List.copyOf(denyNetworks);
        dnsServers = dnsServers.map(List::copyOf);
    }

    public boolean enabled() {
        return pool.isPresent();
    }

    /** How many containers the pool holds, a /30 each (0 with networking off). */
    public long poolContainers() {
        return pool.map(p -> p.size() / 4).orElse(0L);
    }

    /** The nftables table (family inet) holding this daemon's rules. */
    public String table() {
        return "cloche-" + prefix;
    }

    public static NetSettings from(Map<String, String> s) {
        // 16384 containers, a /30 each (docs/reliability.md); it holds Guardian's default 10.254.0.0/22, so containers
        // made under the old default are still pool members after an upgrade
        String poolText = s.getOrDefault("networkPool", DEFAULT_POOL);
        Optional<Ipv4.Subnet> pool = Optional.empty();
        if (!poolText.equals("none")) {
            Ipv4.Subnet p = Ipv4.Subnet.parse(poolText);
            if (p.prefixLength() > 30) throw new InvalidRequestException("networkPool must hold at least one /30: " + poolText);
            pool = Optional.of(p);
        }
        String ports = s.getOrDefault("portPool", "61001-65000");
        int dash = ports.indexOf('-');
        int first;
        int last;
        try {
            first = Integer.parseInt(ports.substring(0, dash < 0 ? ports.length() : dash));
            last = dash < 0 ? first : Integer.parseInt(ports.substring(dash + 1));
        } catch (NumberFormatException e) {
            throw new InvalidRequestException("portPool must be FIRST-LAST: " + ports);
        }
        List<Ipv4.Subnet> deny = new ArrayList<>();
        for (String d : s.getOrDefault("denyNetworks", "0.0.0.0/0").split(",")) {
            if (!d.isBlank()) deny.add(d.contains("/") ? Ipv4.Subnet.parse(d.strip()) : new Ipv4.Subnet(Ipv4.parse(d), 32));
        }
        String ext = s.getOrDefault("externalIp", "");
        if (!ext.isEmpty()) Ipv4.parse(ext);
        Optional<List<String>> dns = Optional.empty();
        if (s.containsKey("dnsServers")) {
            List<String> servers = new ArrayList<>();
            for (String d : s.get("dnsServers").split(",")) {
                if (!d.isBlank()) servers.add(Ipv4.format(Ipv4.parse(d)));
            }
            dns = Optional.of(servers);
        }
        return new NetSettings(pool, s.getOrDefault("networkPrefix", "cl"), first, last, deny, ext, dns);
    }
}
