package dev.cloche.linux.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.AlreadyExistsException;
import dev.cloche.api.BandwidthLimits;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.NetOutRule;
import dev.cloche.api.PortMapping;
import dev.cloche.linux.sys.CommandResult;
import dev.cloche.linux.sys.RecordingCommandRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Addressing, rule rendering and the commands of attach/release, with a recording runner (no root). */
class NetworkingTest {
    @TempDir
    Path tmp;

    @Test
    void subnetsFollowGardensReservedAddresses() {
        Ipv4.Subnet s = Ipv4.Subnet.parse("10.1.0.5/30");
        assertThat(s).hasToString("10.1.0.4/30");
        assertThat(Ipv4.format(s.gateway())).isEqualTo("10.1.0.6");
        assertThat(s.assignable(Ipv4.parse("10.1.0.5"))).isTrue();
        for (String reserved : List.of("10.1.0.4", "10.1.0.6", "10.1.0.7", "10.1.0.8")) {
            assertThat(s.assignable(Ipv4.parse(reserved))).as(reserved).isFalse();
        }
        assertThat(s.overlaps(Ipv4.Subnet.parse("10.1.0.0/24"))).isTrue();
        assertThat(s.overlaps(Ipv4.Subnet.parse("10.1.0.8/30"))).isFalse();
        assertThatThrownBy(() -> Ipv4.parse("example.com")).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> Ipv4.parse("10.0.0.256")).isInstanceOf(InvalidRequestException.class);
    }

    @Test
    void netOutRulesRenderAsNftablesAccepts() {
        NetOutRule tcp = new NetOutRule(NetOutRule.Protocol.TCP, List.of(new NetOutRule.IpRange("10.0.0.1", "10.0.0.9"),
                new NetOutRule.IpRange("8.8.8.8", "8.8.8.8")), List.of(new NetOutRule.PortRange(80, 80),
                new NetOutRule.PortRange(1000, 2000)), Optional.empty(), true);
        assertThat(NftRules.render(tcp, "cloche-x-h")).isEqualTo(
                "ip daddr { 10.0.0.1-10.0.0.9, 8.8.8.8 } tcp dport { 80, 1000-2000 } log prefix \"cloche-x-h \" accept");
        NetOutRule icmp = new NetOutRule(NetOutRule.Protocol.ICMP, List.of(), List.of(),
                Optional.of(new NetOutRule.IcmpControl(8, Optional.of(0))), false);
        assertThat(NftRules.render(icmp, "p")).isEqualTo("icmp type 8 icmp code 0 accept");
        NetOutRule all = new NetOutRule(NetOutRule.Protocol.ALL, List.of(), List.of(), Optional.empty(), false);
        assertThat(NftRules.render(all, "p")).isEqualTo("accept");
        assertThatThrownBy(() -> NftRules.render(new NetOutRule(NetOutRule.Protocol.ALL, List.of(),
                List.of(new NetOutRule.PortRange(1, 2)), Optional.empty(), false), "p")).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> NftRules.render(new NetOutRule(NetOutRule.Protocol.TCP,
                List.of(new NetOutRule.IpRange("10.0.0.9", "10.0.0.1")), List.of(), Optional.empty(), false), "p"))
                .isInstanceOf(InvalidRequestException.class);
    }

    @Test
    void settingsValidate() {
        NetSettings d = NetSettings.from(Map.of());
        assertThat(d.pool()).hasValue(Ipv4.Subnet.parse("10.254.0.0/16"));
        assertThat(d.poolContainers()).isEqualTo(16384);
        assertThat(d.table()).isEqualTo("cloche-cl");
        assertThat(NetSettings.from(Map.of("networkPool", "none")).enabled()).isFalse();
        assertThatThrownBy(() -> NetSettings.from(Map.of("networkPrefix", "toolong"))).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> NetSettings.from(Map.of("portPool", "9-1"))).isInstanceOf(InvalidRequestException.class);
    }

    /** What the networker set through {@link Sysctl}, as {@code key=value}. */
    private final List<String> sysctls = new java.util.concurrent.CopyOnWriteArrayList<>();

    private VethNetworker networker(RecordingCommandRunner r) {
        return new VethNetworker(NetSettings.from(Map.of("networkPool", "10.9.0.0/29", "networkPrefix", "ct",
                "portPool", "5000-5001", "externalIp", "192.0.2.9", "dnsServers", "192.0.2.53")), r,
                (key, value) -> sysctls.add(key + "=" + value), List.of());
    }

    private NetRequest request(String id, String network, List<PortMapping> in) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(id));
        Path rootfs = Files.createDirectories(dir.resolve("rootfs"));
        Files.writeString(dir.resolve("init.pid"), "4242\n");
        NetFiles files = new NetFiles(dir, dir.resolve("network.json"), dir.resolve("network.json.tmp"),
                dir.resolve("net-host.ip"), dir.resolve("net-container.ip"));
        return new NetRequest(id, "host-" + id, network, dir.resolve("init.pid"), files, rootfs, Files.getAttribute(rootfs, "unix:uid") instanceof Integer i ? i : 0,
                in, List.of(), new BandwidthLimits(1000, 0));
    }

    @Test
    void attachPlumbsThenReleaseRemovesAndPoolIsRoundRobin() throws IOException {
        List<String> batches = new java.util.concurrent.CopyOnWriteArrayList<>();
        RecordingCommandRunner r = new RecordingCommandRunner(argv -> {
            if (argv.contains("-batch")) batches.add(read(Path.of(argv.getLast())));
            return CommandResult.ok("");
        });
        VethNetworker n = networker(r);
        assertThat(sysctls).containsExactly("net.ipv4.ip_forward=1");
        assertThat(r.calls().getFirst().get(1)).contains("table inet cloche-ct {", "ip daddr { 127.0.0.1, 192.0.2.9 } dnat ip to tcp dport map @netin");
        NetRequest req = request("a", "", List.of(new PortMapping(0, 80), new PortMapping(0, 0)));
        ContainerNet a = n.attach(req);
        // a new subnet: its bridge and the container's host veth in one batch, the container's side in another
        assertThat(batches).containsExactly("""
                link add ctbr0a090000 type bridge
                addr add 10.9.0.2/30 dev ctbr0a090000
                link set ctbr0a090000 up
                link add ct0a090001-0 type veth peer name ct0a090001-1 netns 4242
                link set ct0a090001-0 master ctbr0a090000 up
                """, """
                link set lo up
                addr add 10.9.0.1/30 dev ct0a090001-1
                link set ct0a090001-1 up
                route add default via 10.9.0.2
                """);
        assertThat(sysctls).containsExactly("net.ipv4.ip_forward=1", "net.ipv4.conf.ctbr0a090000.route_localnet=1");
        assertThat(a.containerIp()).isEqualTo("10.9.0.1");
        assertThat(a.hostIp()).isEqualTo("10.9.0.2");
        assertThat(a.externalIp()).isEqualTo("192.0.2.9");
        assertThat(a.mappedPorts()).containsExactly(new PortMapping(5000, 80), new PortMapping(5001, 5001));
        List<String> argv0 = r.calls().stream().map(c -> String.join(" ", c)).toList();
        assertThat(argv0).contains("nsenter -t 4242 -n ip -batch " + req.files().containerBatch(),
                "tc qdisc replace dev ct0a090001-0 root tbf rate 1000bps burst 2048 latency 25ms");
        assertThat(argv0.stream().filter(c -> c.startsWith("nft add element inet cloche-ct bridges")).findFirst()).hasValueSatisfying(c ->
                assertThat(c).contains("add chain inet cloche-ct c-0a090001", "add element inet cloche-ct bridges { \"ctbr0a090000\" }",
                        "ip daddr != 10.9.0.2 ip daddr 10.9.0.0/30 accept",
                        "ip daddr { 0.0.0.0/0 } meta l4proto tcp reject with tcp reset",
                        "add element inet cloche-ct egress { 10.9.0.1 : jump c-0a090001 }",
                        "add element inet cloche-ct netin { 5000 : 10.9.0.1 . 80 }",
                        "device \"ct0a090001-0\"", "limit rate over 1000 bytes/second burst 2048 bytes drop"));
        assertThat(req.rootfs().resolve("etc/hosts")).hasContent("127.0.0.1 localhost\n10.9.0.1 host-a");
        assertThat(req.rootfs().resolve("etc/resolv.conf")).hasContent("nameserver 192.0.2.53");
        assertThat(req.files().state()).content().contains("\"containerIp\":\"10.9.0.1\"");
        // the port pool is used up; the next /30 is the next one of the pool
        assertThatThrownBy(() -> a.netIn(0, 1)).hasMessageContaining("exhausted");
        assertThatThrownBy(() -> n.attach(request("b", "", List.of(new PortMapping(5000, 1))))).isInstanceOf(AlreadyExistsException.class);
        ContainerNet b = n.attach(request("c", "", List.of()));
        assertThat(b.containerIp()).isEqualTo("10.9.0.5");
        int before = r.calls().size();
        a.release();
        a.release();
        List<String> afterRelease = r.calls().subList(before, r.calls().size()).stream().map(c -> String.join(" ", c)).toList();
        assertThat(afterRelease.getFirst()).startsWith("nft add chain inet cloche-ct c-0a090001")
                .contains("delete chain inet cloche-ct c-0a090001", "delete element inet cloche-ct netin { 5000 }",
                        "delete table netdev cloche-ct-bw-0a090001");
        n.close();
        // the cleaner ran: no host veth in /sys here, the empty bridge is removed
        assertThat(r.calls().stream().map(c -> String.join(" ", c))).contains("ip link del ctbr0a090000");
        assertThatThrownBy(() -> n.attach(request("d", "10.9.0.0/24", List.of()))).hasMessageContaining("pool");
    }

    /** Attaches on a thread of its own (the common pool has one thread on 2 cores, so it would run them in turn). */
    private java.util.concurrent.CompletableFuture<ContainerNet> attachAsync(VethNetworker n, String id, String network) {
        return java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return n.attach(request(id, network, List.of()));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, Thread::startVirtualThread);
    }

    @Test
    void removingABridgeHoldsUpNoOtherContainersCreateAndItsSubnetWaitsForIt() throws Exception {
        java.util.concurrent.CountDownLatch unblock = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch removing = new java.util.concurrent.CountDownLatch(1);
        RecordingCommandRunner r = new RecordingCommandRunner(argv -> {
            if (String.join(" ", argv).equals("ip link del ctbr0a080000")) {
                removing.countDown();
                try {
                    unblock.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return CommandResult.ok("");
        });
        VethNetworker n = networker(r);
        ContainerNet a = n.attach(request("a", "10.8.0.1/24", List.of()));
        a.release();
        assertThat(r.calls().stream().map(c -> String.join(" ", c)).filter(c -> c.startsWith("nft ")).toList().getLast())
                .as("the last member's release takes its bridge out of the table's set").contains(
                        "delete chain inet cloche-ct c-0a080001", "delete element inet cloche-ct bridges { \"ctbr0a080000\" }");
        assertThat(removing.await(5, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        // the cleaner is inside `ip link del` of a's bridge: a container of another subnet is made meanwhile
        ContainerNet b = attachAsync(n, "b", "").get(5, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(b.containerIp()).isEqualTo("10.9.0.1");
        // a's subnet waits for its bridge to be gone, then gets a new one
        var c = attachAsync(n, "c", "10.8.0.1/24");
        Thread.sleep(200);
        assertThat(c).as("waits for the removal").isNotDone();
        unblock.countDown();
        assertThat(c.get(5, java.util.concurrent.TimeUnit.SECONDS).containerIp()).isEqualTo("10.8.0.1");
        List<String> argv = r.calls().stream().map(x -> String.join(" ", x)).toList();
        assertThat(argv.indexOf("ip link del ctbr0a080000")).isLessThan(argv.lastIndexOf("ip -batch " + tmp.resolve("c").resolve("net-host.ip")));
        n.close();
    }

    @Test
    void laterMembersOfASubnetWaitForItsBridgeAndFailWithIt() throws Exception {
        java.util.concurrent.CountDownLatch unblock = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch making = new java.util.concurrent.CountDownLatch(1);
        RecordingCommandRunner r = new RecordingCommandRunner(argv -> {
            if (argv.contains("-batch") && !argv.contains("nsenter") && read(Path.of(argv.getLast())).contains("type bridge")) {
                making.countDown();
                try {
                    unblock.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return new CommandResult(2, "", "RTNETLINK answers: Operation not permitted");
            }
            return CommandResult.ok("");
        });
        VethNetworker n = networker(r);
        var first = attachAsync(n, "a", "10.8.0.1/24");
        assertThat(making.await(5, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        var second = attachAsync(n, "b", "10.8.0.2/24");
        Thread.sleep(200);
        assertThat(second).as("waits for the bridge").isNotDone();
        unblock.countDown();
        assertThatThrownBy(() -> first.get(5, java.util.concurrent.TimeUnit.SECONDS)).hasMessageContaining("Operation not permitted");
        assertThatThrownBy(() -> second.get(5, java.util.concurrent.TimeUnit.SECONDS))
                .hasMessageContaining("the bridge ctbr0a080000 could not be made");
        n.close();
        // both addresses are free again: a new member makes the bridge (this time the runner lets it)
        VethNetworker again = networker(new RecordingCommandRunner(argv -> CommandResult.ok("")));
        assertThat(again.attach(request("c", "10.8.0.2/24", List.of())).containerIp()).isEqualTo("10.8.0.2");
        again.close();
    }

    @Test
    void failedPlumbingReleasesTheAddress() throws IOException {
        java.util.concurrent.atomic.AtomicBoolean fail = new java.util.concurrent.atomic.AtomicBoolean(true);
        RecordingCommandRunner r = new RecordingCommandRunner(argv -> argv.getFirst().equals("nsenter") && fail.get()
                ? new CommandResult(1, "", "no such process") : CommandResult.ok(""));
        VethNetworker n = networker(r);
        assertThatThrownBy(() -> n.attach(request("a", "10.8.0.1/30", List.of(new PortMapping(5000, 80)))))
                .hasMessageContaining("no such process");
        fail.set(false);
        // the same exact address and host port are free again once the cleaner is through
        ContainerNet b = n.attach(request("b", "10.8.0.1/30", List.of(new PortMapping(5000, 80))));
        assertThat(b.containerIp()).isEqualTo("10.8.0.1");
        n.close();
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
