package dev.cloche.linux.net;

import java.util.List;

/** Gives containers their network: addresses, port mappings in, egress rules, bandwidth limits. */
public interface Networker extends AutoCloseable {

    /**
     * Allocates an address for the container whose init (created, not yet started) is {@code request.initPid()}
     * and plumbs it. On failure nothing is left behind and a {@link dev.cloche.api.GardenException} is thrown.
     */
    ContainerNet attach(NetRequest request);

    /** The network a container had before a daemon restart, from its files ({@link ContainerNet#none()} if none). */
    ContainerNet adopt(NetFiles files);

    /**
     * After a restart: re-applies the rules of the {@code adopted} networks (still running containers) and removes
     * every interface, rule and table of this daemon's prefix that belongs to no adopted container.
     */
    void reconcile(List<ContainerNet> adopted);

    /** Waits (bounded) for teardown still running in the background. */
    @Override
    void close();
}
