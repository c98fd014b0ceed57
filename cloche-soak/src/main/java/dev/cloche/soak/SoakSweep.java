package dev.cloche.soak;

import dev.cloche.testkit.HostFootprint;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Before a soak starts its daemon: removes whatever an earlier soak that died left on the host (runtime containers,
 * processes, mounts, cgroups, nftables tables, interfaces of the soak's prefix), so each run starts from nothing.
 */
public final class SoakSweep {
    private SoakSweep() {}

    public static void main(String[] args) {
        Path dir = Path.of(System.getProperty("soak.dir"));
        Path depot = dir.resolve("depot");
        HostFootprint footprint = new HostFootprint(depot, System.getProperty("soak.runtime", "runc"), dir.resolve("runtime"),
                depot.resolve("processes"), System.getProperty("soak.cgroupParent", "cloche-soak"),
                Optional.of(System.getProperty("soak.networkPrefix", "sk")));
        List<String> found = footprint.all();
        if (found.isEmpty()) return;
        System.out.println("[soak] an earlier soak left " + found.size() + " things; removing them");
        List<String> left = footprint.sweep();
        left.forEach(l -> System.err.println("[soak] could not remove: " + l));
        if (!left.isEmpty()) System.exit(1);
    }
}
