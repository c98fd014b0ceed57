package dev.cloche.linux.net;

import dev.cloche.api.ContainerMetrics;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.NetOutRule;
import dev.cloche.api.PortMapping;
import java.util.List;
import java.util.Optional;

/** One container's network, as attached by a {@link Networker}. */
public interface ContainerNet {

    String hostIp();

    String containerIp();

    String externalIp();

    List<PortMapping> mappedPorts();

    /** Maps a host port (0: one from the pool) to a container port (0: the same as the host port). */
    PortMapping netIn(int hostPort, int containerPort);

    /** Adds egress allow rules. */
    void netOut(List<NetOutRule> rules);

    /** Bytes received and sent by the container; empty without a network. */
    Optional<ContainerMetrics.NetworkStat> stats();

    /** Removes rules and addresses now and interfaces soon (in the background). Idempotent. */
    void release();

    /** No network beyond loopback (networking switched off). */
    static ContainerNet none() {
        return new ContainerNet() {
            @Override public String hostIp() { return ""; }
            @Override public String containerIp() { return ""; }
            @Override public String externalIp() { return ""; }
            @Override public List<PortMapping> mappedPorts() { return List.of(); }
            @Override public PortMapping netIn(int hostPort, int containerPort) {
                throw new InvalidRequestException("networking is switched off in this daemon (networkPool=none)");
            }
            @Override public void netOut(List<NetOutRule> rules) {
                throw new InvalidRequestException("networking is switched off in this daemon (networkPool=none)");
            }
            @Override public Optional<ContainerMetrics.NetworkStat> stats() { return Optional.empty(); }
            @Override public void release() { }
        };
    }
}
