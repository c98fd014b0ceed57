package dev.cloche.linux.net;

import dev.cloche.api.GardenError;
import dev.cloche.linux.sys.CommandResult;
import dev.cloche.linux.sys.CommandRunner;
import dev.cloche.linux.sys.Sysctl;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A subnet's bridge and a container's veth pair, made with iproute2 batch scripts (one fork each instead of one per
 * command): the host's side in one batch, the container's side in another inside its network namespace.
 */
final class IpLinks {
    private final CommandRunner runner;
    private final Sysctl sysctl;

    IpLinks(CommandRunner runner, Sysctl sysctl) {
        this.runner = runner;
        this.sysctl = sysctl;
    }

    /**
     * The host's end of the container's veth pair, in its bridge, and the container's end made straight in the init's
     * network namespace; with {@code newBridge}, the subnet's bridge first, in the same batch (one fork for both). A
     * link left by a crashed run under the same name is deleted and the batch run again. On failure nothing of the
     * batch is left.
     */
    void plumbHost(NetRequest req, NetState st, boolean newBridge) {
        Ipv4.Subnet sub = st.subnetValue();
        long pid = req.initPid();
        Path host = req.files().hostBatch();
        String bridgeLines = newBridge ? "link add " + st.bridge() + " type bridge\n"
                + "addr add " + Ipv4.format(sub.gateway()) + "/" + sub.prefixLength() + " dev " + st.bridge() + "\n"
                + "link set " + st.bridge() + " up\n" : "";
        write(host, bridgeLines
                + "link add " + st.hostVeth() + " type veth peer name " + st.containerVeth() + " netns " + pid + "\n"
                + "link set " + st.hostVeth() + " master " + st.bridge() + " up\n");
        CommandResult r = runner.run(List.of("ip", "-batch", host.toString()));
        if (r.exitCode() != 0 && r.stderr().contains("File exists")) {
            // links of a crashed run that reconcile did not see: take them over from scratch
            removeHost(st, newBridge);
            r = runner.run(List.of("ip", "-batch", host.toString()));
        }
        delete(host);
        if (r.exitCode() != 0) {
            // a batch stops at its first failing line: remove what the lines before it made
            removeHost(st, newBridge);
            throw GardenError.internal((newBridge ? "creating bridge " + st.bridge() + " and " : "creating ")
                    + "veth " + st.hostVeth() + " failed: " + r.stderr().strip());
        }
        if (newBridge) {
            try {
                // loopback-sourced NetIn traffic (DNATed in the output hook) may leave through this bridge only
                sysctl.set("net.ipv4.conf." + st.bridge() + ".route_localnet", "1");
            } catch (RuntimeException e) {
                removeHost(st, true);
                throw e;
            }
        }
    }

    private void removeHost(NetState st, boolean bridge) {
        runner.run(List.of("ip", "link", "del", st.hostVeth()));
        if (bridge) runner.run(List.of("ip", "link", "del", st.bridge()));
    }

    /** The container's end: its address and default route, set inside the init's network namespace. */
    void plumbContainer(NetRequest req, NetState st) {
        Ipv4.Subnet sub = st.subnetValue();
        Path inside = req.files().containerBatch();
        write(inside, "link set lo up\n"
                + "addr add " + st.containerIp() + "/" + sub.prefixLength() + " dev " + st.containerVeth() + "\n"
                + "link set " + st.containerVeth() + " up\n"
                + "route add default via " + Ipv4.format(sub.gateway()) + "\n");
        try {
            runner.check(List.of("nsenter", "-t", String.valueOf(req.initPid()), "-n", "ip", "-batch", inside.toString()));
        } finally {
            delete(inside);
        }
    }

    private static void write(Path p, String content) {
        try {
            Files.writeString(p, content);
        } catch (IOException e) {
            throw GardenError.internal("cannot write " + p + ": " + e.getMessage(), e);
        }
    }

    private static void delete(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            // removed with the depot entry
        }
    }
}
