package dev.cloche.linux.net;

import dev.cloche.api.AlreadyExistsException;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.ResourceExhaustedException;
import dev.cloche.api.ServiceUnavailableException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The subnets, addresses and host ports containers use: a /30 per container from the pool, round robin, or what the
 * spec asks for; host ports from the port pool, round robin. Not thread-safe: callers hold its monitor, but never
 * while they fork. A subnet's bridge is made and removed outside the monitor, so the pool tracks each bridge's
 * making (later members wait for it) and removal (no address of the subnet is handed out until it is gone).
 */
final class AddressPool {
    private final NetSettings settings;
    /** Members per subnet, and the state of its bridge. */
    private final Map<Ipv4.Subnet, SubnetUse> subnets = new HashMap<>();
    /** Addresses in use, including those whose host veth is still being deleted; each completes when it is free. */
    private final Map<Integer, CompletableFuture<Void>> ips = new HashMap<>();
    private final Set<Integer> ports = new HashSet<>();
    private int poolCursor;
    private int portCursor;

    private static final class SubnetUse {
        int members;
        /** Absent: no bridge; pending: its first member makes it; done: it exists. */
        CompletableFuture<Void> bridge;
        /** Present from the last member's release until its bridge is gone. */
        CompletableFuture<Void> removal;

        boolean idle() {
            return members <= 0 && bridge == null && removal == null;
        }
    }

    AddressPool(NetSettings settings) {
        this.settings = settings;
    }

    /**
     * An address handed out, in {@code subnet}. With {@code newBridge} the caller makes the subnet's bridge and then
     * reports {@link #bridgeMade} or {@link #bridgeFailed}; else {@code bridge} completes once the bridge exists.
     */
    record Allocation(Ipv4.Subnet subnet, int ip, boolean newBridge, CompletableFuture<Void> bridge) {}

    /** What a release of a subnet's member leaves to do. */
    enum Retired {
        /** Other containers use the subnet. */
        SUBNET_IN_USE,
        /** The last member is gone and the subnet had no bridge (its making failed). */
        SUBNET_EMPTY,
        /** The last member is gone: its bridge is to be removed. */
        BRIDGE_TO_REMOVE
    }

    /**
     * What an allocation of {@code network} must wait for first: the removal of its subnet's bridge, or the release of
     * its exact address. Empty when it may go ahead (allocate then decides).
     */
    Optional<CompletableFuture<Void>> busy(String network) {
        if (network.isEmpty()) return Optional.empty();
        Ipv4.Subnet sub = Ipv4.Subnet.parse(network.contains("/") ? network : network + "/30");
        SubnetUse s = subnets.get(sub);
        if (s != null && s.removal != null) return Optional.of(s.removal);
        return pending(Ipv4.Subnet.parseAddress(network));
    }

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
                if ((state == null || state.idle()) && !ips.containsKey(ip)) {
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
        SubnetUse current = subnets.get(sub);
        if (current != null && current.removal != null) {
            throw new ServiceUnavailableException("the bridge of subnet " + sub + " is still being removed; try again");
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
        boolean newBridge = state.bridge == null;
        if (newBridge) state.bridge = new CompletableFuture<>();
        return new Allocation(sub, ip, newBridge, state.bridge);
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

    /** The subnet's bridge exists now: members waiting for it go ahead. */
    void bridgeMade(Ipv4.Subnet sub) {
        subnets.get(sub).bridge.complete(null);
    }

    /** Making the subnet's bridge failed: members waiting for it fail too, and the next member tries again. */
    void bridgeFailed(Ipv4.Subnet sub, RuntimeException cause) {
        SubnetUse s = subnets.get(sub);
        CompletableFuture<Void> making = s.bridge;
        s.bridge = null;
        making.completeExceptionally(cause);
    }

    /** While {@code ip} is taken, what completes once it is free again. */
    Optional<CompletableFuture<Void>> pending(int ip) {
        return Optional.ofNullable(ips.get(ip));
    }

    /** Takes what a network found after a restart uses; its bridge exists. */
    void adopt(NetState st) {
        SubnetUse s = subnets.computeIfAbsent(st.subnetValue(), k -> new SubnetUse());
        s.members++;
        s.bridge = CompletableFuture.completedFuture(null);
        ips.put(st.ip(), new CompletableFuture<>());
        st.ports().forEach(p -> ports.add(p.hostPort()));
    }

    /**
     * A member of {@code sub} is being released. Its address stays taken until {@link #free}; when it was the last
     * member, the subnet is closed to allocation until then too.
     */
    Retired retire(Ipv4.Subnet sub) {
        SubnetUse s = subnets.get(sub);
        if (s == null) return Retired.SUBNET_EMPTY;
        s.members--;
        if (s.members > 0) return Retired.SUBNET_IN_USE;
        s.removal = new CompletableFuture<>();
        boolean bridged = s.bridge != null && s.bridge.isDone() && !s.bridge.isCompletedExceptionally();
        return bridged ? Retired.BRIDGE_TO_REMOVE : Retired.SUBNET_EMPTY;
    }

    /** A retired member's host veth is gone, and with {@code lastMember} its subnet's bridge: both may be reused. */
    void free(Ipv4.Subnet sub, int ip, boolean lastMember) {
        CompletableFuture<Void> f = ips.remove(ip);
        if (f != null) f.complete(null);
        SubnetUse s = subnets.get(sub);
        if (s == null) return;
        if (lastMember && s.removal != null) {
            s.bridge = null;
            CompletableFuture<Void> removal = s.removal;
            s.removal = null;
            removal.complete(null);
        }
        if (s.idle()) subnets.remove(sub);
    }
}
