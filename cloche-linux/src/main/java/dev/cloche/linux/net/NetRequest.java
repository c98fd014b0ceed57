package dev.cloche.linux.net;

import dev.cloche.api.BandwidthLimits;
import dev.cloche.api.NetOutRule;
import dev.cloche.api.PortMapping;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * What {@link Networker#attach} needs.
 *
 * @param network the spec's {@code network}: empty (a /30 from the pool), a subnet (an unused address in it) or an address
 * @param initPidFile where the runtime wrote the pid of the container's init
 * @param files where the network's state is kept for restarts, and its scripts
 * @param rootfs the container's mounted root, where /etc/hosts and /etc/resolv.conf are written
 * @param rootUid the host uid of the container's root, which owns those files
 */
public record NetRequest(String id, String hostname, String network, Path initPidFile, NetFiles files, Path rootfs, long rootUid,
                         List<PortMapping> netIn, List<NetOutRule> netOut, BandwidthLimits bandwidth) {
    public NetRequest {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(hostname, "hostname");
        Objects.requireNonNull(network, "network");
        Objects.requireNonNull(initPidFile, "initPidFile");
        Objects.requireNonNull(files, "files");
        Objects.requireNonNull(rootfs, "rootfs");
        Objects.requireNonNull(bandwidth, "bandwidth");
        netIn = List.copyOf(netIn);
        netOut = List.copyOf(netOut);
    }

    long initPid() {
        try {
            return Long.parseLong(java.nio.file.Files.readString(initPidFile).strip());
        } catch (java.io.IOException | NumberFormatException e) {
            throw dev.cloche.api.GardenError.internal("cannot read the init pid from " + initPidFile + ": " + e.getMessage(), e);
        }
    }
}
