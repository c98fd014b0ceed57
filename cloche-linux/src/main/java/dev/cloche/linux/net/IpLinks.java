package dev.cloche.linux.net;

import dev.cloche.api.GardenError;
import dev.cloche.linux.sys.CommandResult;
import dev.cloche.linux.sys.CommandRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A subnet's bridge and a container's veth pair, made with iproute2 batch scripts (one fork each instead of one per
 * command). A link left by a crashed run under the same name is deleted and made again.
 */
final class IpLinks {
    private final CommandRunner runner;

    IpLinks(CommandRunner runner) {
        this.runner = runner;
    }

    /** A bridge holding the subnet's gateway; {@code batch} is where its script is written, and removed. */
    void createBridge(Path batch, String bridge, Ipv4.Subnet sub) {
        write(batch, "link add " + bridge + " type bridge\n"
                + "addr add " + Ipv4.format(sub.gateway()) + "/" + sub.prefixLength() + " dev " + bridge + "\n"
                + "link set " + bridge + " up\n");
        CommandResult r = runner.run(List.of("ip", "-batch", batch.toString()));
        if (r.exitCode() != 0 && r.stderr().contains("File exists")) {
            // a bridge of a crashed run that reconcile did not see: take it over from scratch
            runner.run(List.of("ip", "link", "del", bridge));
            r = runner.run(List.of("ip", "-batch", batch.toString()));
        }
        delete(batch);
        if (r.exitCode() != 0) throw GardenError.internal("creating bridge " + bridge + " failed: " + r.stderr().strip());
        // loopback-sourced NetIn traffic (DNATed in the output hook) may leave through this bridge only
        runner.check(List.of("sysctl", "-qw", "net.ipv4.conf." + bridge + ".route_localnet=1"));
    }

    /**
     * The container's veth pair: the host side in its bridge, the container side made straight in the init's network
     * namespace, with the container's address and default route.
     */
    void plumb(NetRequest req, NetState st) {
        Ipv4.Subnet sub = st.subnetValue();
        long pid = req.initPid();
        Path host = req.files().hostBatch();
        write(host, "link add " + st.hostVeth() + " type veth peer name " + st.containerVeth() + " netns " + pid + "\n"
                + "link set " + st.hostVeth() + " master " + st.bridge() + " up\n");
        CommandResult r = runner.run(List.of("ip", "-batch", host.toString()));
        if (r.exitCode() != 0 && r.stderr().contains("File exists")) {
            runner.run(List.of("ip", "link", "del", st.hostVeth()));
            r = runner.run(List.of("ip", "-batch", host.toString()));
        }
        delete(host);
        if (r.exitCode() != 0) throw GardenError.internal("creating veth " + st.hostVeth() + " failed: " + r.stderr().strip());
        Path inside = req.files().containerBatch();
        write(inside, "link set lo up\n"
                + "addr add " + st.containerIp() + "/" + sub.prefixLength() + " dev " + st.containerVeth() + "\n"
                + "link set " + st.containerVeth() + " up\n"
                + "route add default via " + Ipv4.format(sub.gateway()) + "\n");
        try {
            runner.check(List.of("nsenter", "-t", String.valueOf(pid), "-n", "ip", "-batch", inside.toString()));
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
