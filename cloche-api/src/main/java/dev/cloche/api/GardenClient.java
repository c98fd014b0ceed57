package dev.cloche.api;

import java.util.List;
import java.util.Map;

/**
 * The Java form of Garden's {@code Client} interface. In one process this is the core's
 * {@code ContainerManager}; across machines it is {@code RemoteGardenClient} speaking Garden's wire protocol.
 * Every front-end (Garden HTTP server, console, proxy, port layer, CLI) talks to Cloche only through it.
 *
 * <p>Errors are {@link GardenException}s; a missing handle is {@link ContainerNotFoundException}.
 *
 * <p>{@code close()} means one thing across the API: releasing the caller's own handle on something, never
 * destroying what others could still use. A {@code GardenClient} releases its own connections and threads
 * ({@link #close()}), a {@link Process} detaches ({@link Process#close()}), and a {@link Container} has no
 * {@code close()}: it ends only by an explicit {@link Container#destroy()} or {@link #destroy(String)} (or its grace
 * time running out).
 */
public interface GardenClient extends AutoCloseable {

    /** Health probe; throws {@link UnrecoverableException} when the server is broken for good. */
    void ping();

    Capacity capacity();

    /** Creates a container; an empty handle in the spec asks the server to generate one. */
    Container create(ContainerSpec spec);

    /** Destroys a container and everything it owns. A second destroy throws {@link ContainerNotFoundException}. */
    void destroy(String handle);

    /** Containers whose properties contain every given key/value pair (exact match, ANDed). */
    List<Container> containers(Map<String, String> properties);

    /** Info for several containers; per-handle failures are reported in the entry, never thrown. */
    Map<String, ContainerInfoEntry> bulkInfo(List<String> handles);

    /** Metrics for several containers; per-handle failures are reported in the entry, never thrown. */
    Map<String, ContainerMetricsEntry> bulkMetrics(List<String> handles);

    /** The container with this handle, or {@link ContainerNotFoundException}. */
    Container lookup(String handle);

    /**
     * Closes this client: releases what the client itself holds (connections, threads), never what it reaches. No
     * container is destroyed or stopped and no process is ended or detached: they run on, and other clients can
     * still use them.
     */
    @Override
    void close();
}
