package dev.cloche.linux.net;

import dev.cloche.api.AlreadyExistsException;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.ResourceExhaustedException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The subnets, addresses and host ports containers use: a /30 per container from the pool, round robin, or what the
 * spec asks for; host ports from the port pool, round robin. Not thread-safe: callers hold its monitor, which also
 * orders a subnet's bridge being made and removed against its addresses being handed out.
 */
final class AddressPool {
    private final NetSettings settings;
    /** Live members per subnet, and whether its bridge exists. */
    private final Map<Ipv4.Subnet, SubnetUse> subnets = new HashMap<>();
    /** Addresses in use, including those whose host veth is still being deleted; each completes when it is free. */
    private final Map<Integer, CompletableFuture<Void>> ips = new HashMap<>();
    private final Set<Integer> ports = new HashSet<>();
    private int poolCursor;
    private int portCursor;

    private static final class SubnetUse {
        int members;
        boolean bridgeUp;
    }

    AddressPool(NetSettings settings) {
        this.settings = settings;
    }

    /** An address handed out, in {@code subnet}, whose bridge must be made first when {@code newBridge}. */
    record Allocation(Ipv4.Subnet subnet, int ip, boolean newBridge) {}

    /** Chooses subnet and address for {@code network} (empty: the pool's next free /30) and takes them. */
    Allocation allocate(String network) {
        Ipv4.Subnet pool = settings.pool().orElseThrow();
        if (network.isEmpty()) {
            int count = (int) (pool.size() / 4);
            for (int i = 0; i < count; i++) {
                int n = (poolCursor + i) % count;
                Ipv4.Subnet sub = new Ipv4.Subnet(pool.network() + 4 * n, 30);
                int ip = sub.network() + 1;
                SubnetUse state = subnets.get(sub);
                if ((state == null || state.members == 0 && !state.bridgeUp) && !ips.containsKey(ip)) {
                    poolCursor = (n + 1) % count;
                    return register(sub, ip);
                }
            }
            throw new ResourceExhaustedException("the network pool " + pool + " is exhausted");
        }
        Ipv4.Subnet sub = Ipv4.Subnet.parse(network.contains("/") ? network : network + "/30");
        int ip = Ipv4.Subnet.parseAddress(network);
        if (sub.prefixLength() > 30) throw new InvalidRequestException("network " + network + " is smaller than a /30");
        if (sub.overlaps(pool)) {
            throw new InvalidRequestException("the network " + network + " overlaps the default network pool " + pool);
        }
        for (Map.Entry<Ipv4.Subnet, SubnetUse> e : subnets.entrySet()) {
            if (e.getValue().members > 0 && !e.getKey().equals(sub) && e.getKey().overlaps(sub)) {
                throw new InvalidRequestException("the network " + network + " overlaps the subnet " + e.getKey()
                        + " that containers already use");
            }
        }
        if (ip == sub.network()) {
            for (long a = 1; a < sub.size() - 2; a++) {
                if (!ips.containsKey(sub.network() + (int) a)) return register(sub, sub.network() + (int) a);
            }
            throw new ResourceExhaustedException("no free address in " + sub);
        }
        if (!sub.assignable(ip)) {
            throw new InvalidRequestException("the address " + Ipv4.format(ip) + " is reserved in " + sub
                    + " (subnet, gateway and broadcast addresses)");
        }
        if (ips.containsKey(ip)) throw new AlreadyExistsException("the IP address " + Ipv4.format(ip) + " is already in use");
        return register(sub, ip);
    }

    private Allocation register(Ipv4.Subnet sub, int ip) {
        SubnetUse state = subnets.computeIfAbsent(sub, k -> new SubnetUse());
        state.members++;
        ips.put(ip, new CompletableFuture<>());
        return new Allocation(sub, ip, !state.bridgeUp);
    }

    /** {@code hostPort}, or with 0 the port pool's next free one. */
    int allocatePort(int hostPort) {
        if (hostPort != 0) {
            if (!ports.add(hostPort)) throw new AlreadyExistsException("host port " + hostPort + " is already mapped");
            return hostPort;
        }
        int size = settings.portLast() - settings.portFirst() + 1;
        for (int i = 0; i < size; i++) {
            int p = settings.portFirst() + (portCursor + i) % size;
            if (ports.add(p)) {
                portCursor = (portCursor + i + 1) % size;
                return p;
            }
        }
        throw new ResourceExhaustedException("the port pool " + settings.portFirst() + "-" + settings.portLast() + " is exhausted");
    }

    void releasePort(int hostPort) {
        ports.remove(hostPort);
    }

    /** The subnet's bridge exists now. */
    void bridgeUp(Ipv4.Subnet sub) {
        subnets.get(sub).bridgeUp = true;
    }

    /** While {@code ip} is taken, what completes once it is free again. */
    Optional<CompletableFuture<Void>> pending(int ip) {
        return Optional.ofNullable(ips.get(ip));
    }

    /** Takes what a network found after a restart uses; its bridge exists. */
    void adopt(NetState st) {
        SubnetUse s = subnets.computeIfAbsent(st.subnetValue(), k -> new SubnetUse());
        s.members++;
        s.bridgeUp = true;
        ips.put(st.ip(), new CompletableFuture<>());
        st.ports().forEach(p -> ports.add(p.hostPort()));
    }

    /** Frees {@code ip}; a subnet left without members or a bridge is forgotten. */
    void unregister(Ipv4.Subnet sub, int ip) {
        CompletableFuture<Void> f = ips.remove(ip);
        if (f != null) f.complete(null);
        SubnetUse s = subnets.get(sub);
        if (s != null) {
            s.members--;
            if (s.members <= 0 && !s.bridgeUp) subnets.remove(sub);
        }
    }

    /** Whether the subnet's bridge exists although no container uses it any more: it is to be removed. */
    boolean bridgeUnused(Ipv4.Subnet sub) {
        SubnetUse s = subnets.get(sub);
        return s != null && s.members <= 0 && s.bridgeUp;
    }

    /** The subnet's bridge is gone. */
    void forget(Ipv4.Subnet sub) {
        subnets.remove(sub);
    }
}
