package dev.cloche.linux.net;

import dev.cloche.api.ContainerMetrics;
import dev.cloche.api.GardenError;
import dev.cloche.api.GardenException;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.NetOutRule;
import dev.cloche.api.PortMapping;
import dev.cloche.api.ServiceUnavailableException;
import dev.cloche.linux.sys.CommandRunner;
import dev.cloche.linux.sys.Sysctl;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * Garden-style networking with iproute2, nftables and tc: a bridge per subnet holding the gateway (the subnet's
 * broadcast address minus one), a veth pair per container (host side {@code <prefix><ip hex>-0} in the bridge,
 * container side {@code <prefix><ip hex>-1} created straight in the container's network namespace), NetIn and
 * NetOut in one nftables table per prefix ({@link NftRules}), bandwidth as tbf towards the container and an
 * nftables ingress policer from it. Interfaces die with the container's namespace; the host side and empty
 * bridges are deleted explicitly, off the caller's path ({@link LinkCleaner}).
 */
final class VethNetworker implements Networker {
    private static final Logger LOG = LoggerFactory.getLogger(VethNetworker.class);
    private static final ObjectMapper JSON = JsonMapper.builder().build();
    private static final Path SYS_NET = Path.of("/sys/class/net");
    /** tbf needs a bucket that holds at least a full frame. */
    static final long MIN_BURST = 2048;

    private final NetSettings settings;
    private final CommandRunner runner;
    private final NftRules nft;
    private final NftTable table;
    /** Networks attached or adopted and not released: what a rebuilt table must contain. */
    private final Set<VethNet> live = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final String externalIp;
    private final EtcFiles etcFiles;
    private final IpLinks links;
    private final Pattern vethName;
    private final Pattern bridgeName;

    /** Guarded by its own monitor, never held across a fork: it tracks bridges being made and removed instead. */
    private final AddressPool pool;
    private final LinkCleaner cleaner;

    VethNetworker(NetSettings settings, CommandRunner runner, Sysctl sysctl, List<String> hostNameservers) {
        this.settings = settings;
        this.runner = runner;
        this.externalIp = settings.externalIp().isEmpty() ? detectExternalIp(runner) : settings.externalIp();
        this.etcFiles = new EtcFiles(settings.dnsServers().orElse(hostNameservers.stream().filter(n -> !n.startsWith("127.")).toList()));
        this.pool = new AddressPool(settings);
        this.cleaner = new LinkCleaner(runner, pool);
        this.links = new IpLinks(runner, sysctl);
        this.nft = new NftRules(settings.table(), settings.denyNetworks(), externalIp);
        this.table = new NftTable(runner, nft, settings.table(), () -> live.stream().map(n -> n.state).toList());
        this.vethName = Pattern.compile(Pattern.quote(settings.prefix()) + "[0-9a-f]{8}-0");
        this.bridgeName = Pattern.compile(Pattern.quote(settings.prefix()) + "br[0-9a-f]{8}");
        // routing between the bridges and the host's interfaces (egress, NetIn from outside)
        sysctl.set("net.ipv4.ip_forward", "1");
        table.run(nft.skeleton());
    }

    /** The address of the interface that carries the default route (no packet is sent to find it). */
    static String detectExternalIp(CommandRunner runner) {
        Matcher dev = Pattern.compile("\\bdev (\\S+)").matcher(runner.run(List.of("ip", "-4", "-o", "route", "show", "default")).stdout());
        List<String> argv = dev.find() ? List.of("ip", "-4", "-o", "addr", "show", "dev", dev.group(1))
                : List.of("ip", "-4", "-o", "addr", "show", "scope", "global");
        Matcher addr = Pattern.compile("\\binet (\\d+\\.\\d+\\.\\d+\\.\\d+)/").matcher(runner.run(argv).stdout());
        return addr.find() ? addr.group(1) : "127.0.0.1";
    }

    String externalIp() {
        return externalIp;
    }

    // ---------------------------------------------------------------- attach

    @Override
    public ContainerNet attach(NetRequest req) {
        List<String> rules = new ArrayList<>();
        for (NetOutRule r : req.netOut()) rules.add(NftRules.render(r, logPrefix(req.id())));
        AddressPool.Allocation a;
        List<PortMapping> mapped = new ArrayList<>();
        awaitNotBusy(req.network());
        synchronized (pool) {
            a = pool.allocate(req.network());
            try {
                for (PortMapping p : req.netIn()) {
                    int host = pool.allocatePort(p.hostPort());
                    mapped.add(new PortMapping(host, p.containerPort() == 0 ? host : p.containerPort()));
                }
            } catch (RuntimeException e) {
                mapped.forEach(m -> pool.releasePort(m.hostPort()));
                if (a.newBridge()) pool.bridgeFailed(a.subnet(), e);
                pool.retire(a.subnet());
                pool.free(a.subnet(), a.ip(), true);
                throw e;
            }
        }
        String hex = Ipv4.hex(a.ip());
        String bridge = settings.prefix() + "br" + Ipv4.hex(a.subnet().network());
        NetState st = new NetState(req.id(), Ipv4.format(a.ip()), a.subnet().toString(), settings.prefix() + hex + "-0",
                settings.prefix() + hex + "-1", bridge, mapped, rules, req.bandwidth().rateInBytesPerSecond(),
                Math.max(MIN_BURST, req.bandwidth().burstRateInBytesPerSecond()));
        CompletableFuture<Void> applied = table.applyBeside(st);
        VethNet net = new VethNet(st, req.files());
        try {
            if (a.newBridge()) {
                // the bridge and the new container's host veth go in one batch; later members of the subnet wait
                try {
                    links.plumbHost(req, st, true);
                } catch (RuntimeException e) {
                    synchronized (pool) {
                        pool.bridgeFailed(a.subnet(), e);
                    }
                    throw e;
                }
                synchronized (pool) {
                    pool.bridgeMade(a.subnet());
                }
            } else {
                awaitBridge(a.bridge(), bridge);
                links.plumbHost(req, st, false);
            }
            etcFiles.write(req.rootfs(), req.hostname(), st.containerIp(), req.rootUid());
            links.plumbContainer(req, st);
            if (applied == null) {
                table.run(nft.apply(st)); // with the bridge's element in the table's bridge set
            } else {
                NftTable.await(applied, true);
            }
            if (st.rate() > 0) {
                runner.check(List.of("tc", "qdisc", "replace", "dev", st.hostVeth(), "root", "tbf", "rate",
                        st.rate() + "bps", "burst", String.valueOf(st.burst()), "latency", "25ms"));
            }
            net.persist();
            live.add(net); // only now: a table rebuild must not apply rules an attach is still adding
            return net;
        } catch (RuntimeException e) {
            if (applied != null) NftTable.await(applied, false); // the release removes rules: not while they are still going in
            try {
                net.release();
            } catch (RuntimeException r) {
                e.addSuppressed(r);
            }
            throw e instanceof GardenException ? e : GardenError.internal("network set-up failed: " + e.getMessage(), e);
        }
    }

    /** A later member of a subnet waits for the bridge its first member is making. */
    private static void awaitBridge(CompletableFuture<Void> bridge, String name) {
        try {
            bridge.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw GardenError.internal("the bridge " + name + " could not be made: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new ServiceUnavailableException("the bridge " + name + " is still being made; try again");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ServiceUnavailableException("interrupted while waiting for the bridge " + name);
        }
    }

    private String logPrefix(String id) {
        String p = settings.table() + "-" + id;
        return p.length() > 28 ? p.substring(0, 28) : p;
    }

    /**
     * An exact address freed a moment ago may still have its host veth, and a subnet whose last member left may still
     * have its bridge: wait for the cleaner instead of failing.
     */
    private void awaitNotBusy(String network) {
        Optional<CompletableFuture<Void>> busy;
        try {
            synchronized (pool) {
                busy = pool.busy(network);
            }
        } catch (InvalidRequestException e) {
            return; // allocate reports it
        }
        if (busy.isEmpty()) return;
        try {
            busy.get().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            // still in use (by a live container) or slow: allocate decides
        }
    }

    // ---------------------------------------------------------------- restore

    @Override
    public ContainerNet adopt(NetFiles files) {
        Path f = files.state();
        if (!Files.exists(f)) return ContainerNet.none();
        NetState st;
        try {
            st = JSON.readValue(Files.readString(f), NetState.class);
        } catch (IOException | RuntimeException e) {
            LOG.warn("unreadable network state {}: {}", f, e.getMessage());
            return ContainerNet.none();
        }
        synchronized (pool) {
            pool.adopt(st);
        }
        VethNet adopted = new VethNet(st, files);
        live.add(adopted);
        return adopted;
    }

    @Override
    public void reconcile(List<ContainerNet> adopted) {
        List<NetState> live = adopted.stream().filter(VethNet.class::isInstance).map(n -> ((VethNet) n).state).toList();
        Set<String> keepLinks = new HashSet<>();
        List<String> script = new ArrayList<>(List.of(nft.skeleton()));
        Set<String> bridges = new HashSet<>();
        for (NetState st : live) {
            keepLinks.add(st.hostVeth());
            keepLinks.add(st.bridge());
            if (bridges.add(st.bridge())) script.add(nft.addBridge(st.bridge()));
            script.addAll(nft.apply(st));
        }
        // policers of containers that are gone
        Set<String> keepTables = new HashSet<>();
        for (NetState st : live) if (st.rate() > 0) keepTables.add(settings.table() + "-bw-" + st.hex());
        Matcher tables = Pattern.compile("(?m)^table netdev (" + Pattern.quote(settings.table()) + "-bw-[0-9a-f]{8})$")
                .matcher(runner.run(List.of("nft", "list", "tables")).stdout());
        while (tables.find()) {
            if (!keepTables.contains(tables.group(1))) script.add("delete table netdev " + tables.group(1));
        }
        table.run(script);
        Matcher links = Pattern.compile("(?m)^\\d+: ([^:@\\s]+)[@:]").matcher(runner.run(List.of("ip", "-o", "link", "show")).stdout());
        List<String> stale = new ArrayList<>();
        while (links.find()) {
            String name = links.group(1);
            if ((vethName.matcher(name).matches() || bridgeName.matcher(name).matches()) && !keepLinks.contains(name)) {
                stale.add(name);
            }
        }
        for (String name : stale) {
            if (vethName.matcher(name).matches()) runner.run(List.of("ip", "link", "del", name));
        }
        for (String name : stale) {
            if (bridgeName.matcher(name).matches()) runner.run(List.of("ip", "link", "del", name));
        }
        if (!stale.isEmpty()) LOG.info("removed stale network interfaces {}", stale);
    }

    @Override
    public void close() {
        cleaner.close();
        synchronized (pool) {
            // running containers outlive the daemon and keep their rules; with none left the table goes too
            // a container destroyed through another backend on this depot is gone from the depot, not from `live`
            if (live.stream().noneMatch(n -> java.nio.file.Files.isDirectory(n.files.entry()))) {
                runner.run(List.of("nft", "delete", "table", "inet", settings.table()));
            }
        }
    }

    // ---------------------------------------------------------------- one container

    private final class VethNet implements ContainerNet {
        private volatile NetState state;
        private final NetFiles files;
        private boolean released;

        VethNet(NetState state, NetFiles files) {
            this.state = state;
            this.files = files;
        }

        void persist() {
            try {
                Files.writeString(files.stateTmp(), JSON.writeValueAsString(state));
                Files.move(files.stateTmp(), files.state(), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                throw GardenError.internal("cannot save network state: " + e.getMessage(), e);
            }
        }

        @Override public String hostIp() { return Ipv4.format(state.subnetValue().gateway()); }
        @Override public String containerIp() { return state.containerIp(); }
        @Override public String externalIp() { return externalIp; }
        @Override public List<PortMapping> mappedPorts() { return state.ports(); }

        @Override
        public synchronized PortMapping netIn(int hostPort, int containerPort) {
            if (released) throw GardenError.internal("the network of " + state.id() + " is released");
            int host;
            synchronized (pool) {
                host = pool.allocatePort(hostPort);
            }
            PortMapping m = new PortMapping(host, containerPort == 0 ? host : containerPort);
            try {
                table.run(nft.addPort(state, m.hostPort(), m.containerPort()) + "\n");
                state = state.withPort(m);
                persist();
                return m;
            } catch (RuntimeException e) {
                synchronized (pool) {
                    pool.releasePort(host);
                }
                throw e;
            }
        }

        @Override
        public synchronized void netOut(List<NetOutRule> rules) {
            if (released) throw GardenError.internal("the network of " + state.id() + " is released");
            List<String> rendered = rules.stream().map(r -> NftRules.render(r, logPrefix(state.id()))).toList();
            NetState next = state.withRules(rendered);
            table.run(nft.rebuildChain(next));
            state = next;
            persist();
        }

        @Override
        public Optional<ContainerMetrics.NetworkStat> stats() {
            Path s = SYS_NET.resolve(state.hostVeth()).resolve("statistics");
            try {
                // the host side's transmit is the container's receive
                long rx = Long.parseLong(Files.readString(s.resolve("tx_bytes")).strip());
                long tx = Long.parseLong(Files.readString(s.resolve("rx_bytes")).strip());
                return Optional.of(new ContainerMetrics.NetworkStat(rx, tx));
            } catch (IOException | NumberFormatException e) {
                return Optional.empty();
            }
        }

        @Override
        public synchronized void release() {
            if (released) return;
            released = true;
            live.remove(this);
            NetState st = state;
            AddressPool.Retired retired;
            synchronized (pool) {
                retired = pool.retire(st.subnetValue());
            }
            List<String> script = new ArrayList<>(nft.remove(st));
            if (retired != AddressPool.Retired.SUBNET_IN_USE) script.add(nft.removeBridge(st.bridge()));
            RuntimeException failure = null;
            try {
                table.run(script);
            } catch (RuntimeException e) {
                // idempotent: rules that are already gone (their table was deleted) count as removed
                if (!String.valueOf(e.getMessage()).contains("No such file or directory")) failure = e;
            }
            synchronized (pool) {
                // only now: a port handed out again before its element is deleted would lose its new mapping
                st.ports().forEach(p -> pool.releasePort(p.hostPort()));
            }
            cleaner.remove(st, retired);
            if (failure != null) throw failure;
        }
    }
}
