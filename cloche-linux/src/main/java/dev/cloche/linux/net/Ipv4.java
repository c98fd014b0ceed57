package dev.cloche.linux.net;

import dev.cloche.api.InvalidRequestException;

/**
 * IPv4 addresses as unsigned ints, parsed strictly from dotted-quad text: never through
 * {@link java.net.InetAddress#getByName}, which would resolve a name over the network.
 */
public final class Ipv4 {
    private Ipv4() {}

    public static int parse(String text) {
        String[] parts = text.strip().split("\\.", -1);
        if (parts.length != 4) throw new InvalidRequestException("not an IPv4 address: " + text);
        int v = 0;
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit)) {
                throw new InvalidRequestException("not an IPv4 address: " + text);
            }
            int b = Integer.parseInt(p);
            if (b > 255) throw new InvalidRequestException("not an IPv4 address: " + text);
            v = (v << 8) | b;
        }
        return v;
    }

    public static String format(int ip) {
        return ((ip >>> 24) & 255) + "." + ((ip >>> 16) & 255) + "." + ((ip >>> 8) & 255) + "." + (ip & 255);
    }

    public static String hex(int ip) {
        return String.format("%08x", ip);
    }

    /** {@code a <= b} as unsigned addresses. */
    public static boolean le(int a, int b) {
        return Integer.compareUnsigned(a, b) <= 0;
    }

    /** An IPv4 subnet; {@code network} has its host bits cleared. */
    public record Subnet(int network, int prefixLength) {
        public Subnet {
            if (prefixLength < 0 || prefixLength > 32) throw new InvalidRequestException("bad prefix length: " + prefixLength);
            network &= mask(prefixLength);
        }

        /** Parses {@code a.b.c.d/n}, keeping the host bits aside: see {@link #parseAddress}. */
        public static Subnet parse(String cidr) {
            int slash = cidr.indexOf('/');
            if (slash < 0) throw new InvalidRequestException("not a CIDR: " + cidr);
            return new Subnet(Ipv4.parse(cidr.substring(0, slash)), prefix(cidr.substring(slash + 1), cidr));
        }

        /** The address part of {@code a.b.c.d/n}, host bits included. */
        public static int parseAddress(String cidr) {
            int slash = cidr.indexOf('/');
            return Ipv4.parse(slash < 0 ? cidr : cidr.substring(0, slash));
        }

        private static int prefix(String s, String cidr) {
            if (s.isEmpty() || s.length() > 2 || !s.chars().allMatch(Character::isDigit)) {
                throw new InvalidRequestException("not a CIDR: " + cidr);
            }
            return Integer.parseInt(s);
        }

        static int mask(int prefixLength) {
            return prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
        }

        public int broadcast() {
            return network | ~mask(prefixLength);
        }

        /** Garden reserves the address below the broadcast address: it is the host side (the gateway). */
        public int gateway() {
            return broadcast() - 1;
        }

        public boolean contains(int ip) {
            return (ip & mask(prefixLength)) == network;
        }

        public boolean overlaps(Subnet o) {
            return contains(o.network) || o.contains(network);
        }

        /** Addresses a container may get: not the subnet address, the gateway or the broadcast address. */
        public boolean assignable(int ip) {
            return contains(ip) && ip != network && ip != broadcast() && ip != gateway();
        }

        public long size() {
            return 1L << (32 - prefixLength);
        }

        @Override
        public String toString() {
            return Ipv4.format(network) + "/" + prefixLength;
        }
    }
}
