package dev.cloche.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The host resources one test class may use: a cgroup parent and, with networking, an interface/nftables prefix, an
 * address pool and a host port range. {@link #claim} holds them against every other class in this JVM, so two
 * classes can never clean up or count each other's resources.
 */
record HostSlot(String cgroupParent, Optional<Network> network) {

    /** Networking as the Linux backend's {@code networkPrefix}, {@code networkPool} and {@code portPool} settings. */
    record Network(String prefix, String pool, String ports) {
        long firstAddress() {
            return address(pool.substring(0, pool.indexOf('/')));
        }

        long lastAddress() {
            int bits = Integer.parseInt(pool.substring(pool.indexOf('/') + 1));
            return firstAddress() + (1L << (32 - bits)) - 1;
        }

        int firstPort() {
            return Integer.parseInt(ports.split("-")[0]);
        }

        int lastPort() {
            String[] p = ports.split("-");
            return Integer.parseInt(p[p.length - 1]);
        }

        private static long address(String dotted) {
            long a = 0;
            for (String octet : dotted.split("\\.")) a = a << 8 | Integer.parseInt(octet);
            return a;
        }
    }

    private record Claim(String owner, HostSlot slot) {}

    private static final List<Claim> CLAIMS = new ArrayList<>();

    /** Takes the slot for {@code owner}; fails when a different owner already holds any part of it. */
    void claim(String owner) {
        synchronized (CLAIMS) {
            for (Claim c : CLAIMS) {
                if (c.owner().equals(owner)) continue;
                conflict(c.slot()).ifPresent(why -> {
                    throw new IllegalStateException(owner + " and " + c.owner() + " share host resources: " + why);
                });
            }
            CLAIMS.add(new Claim(owner, this));
        }
    }

    private Optional<String> conflict(HostSlot other) {
        if (cgroupParent.equals(other.cgroupParent)) return Optional.of("cgroup parent " + cgroupParent);
        if (network.isEmpty() || other.network.isEmpty()) return Optional.empty();
        Network a = network.get();
        Network b = other.network.get();
        if (a.prefix().equals(b.prefix())) return Optional.of("network prefix " + a.prefix());
        if (a.firstAddress() <= b.lastAddress() && b.firstAddress() <= a.lastAddress()) {
            return Optional.of("network pools " + a.pool() + " and " + b.pool());
        }
        if (a.firstPort() <= b.lastPort() && b.firstPort() <= a.lastPort()) {
            return Optional.of("port pools " + a.ports() + " and " + b.ports());
        }
        return Optional.empty();
    }
}
