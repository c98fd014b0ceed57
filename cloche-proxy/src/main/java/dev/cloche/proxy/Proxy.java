package dev.cloche.proxy;

import dev.cloche.api.GardenClient;
import java.net.InetSocketAddress;
import java.time.Clock;

/**
 * ephemera on Cloche: an HTTP reverse proxy that creates an environment (a container with a TTL running a
 * template's server) on {@code POST /demo/new} and relays {@code /demo/{id}/...} to it until the TTL ends it.
 * A client of {@link GardenClient}, so it runs in-process with the core or against a remote daemon.
 */
public final class Proxy implements AutoCloseable {
    private final Environments envs;
    private final ProxyServer server;

    private Proxy(Environments envs, ProxyServer server) {
        this.envs = envs;
        this.server = server;
    }

    /** Finds the environments a previous run left, then serves. */
    public static Proxy start(GardenClient garden, ProxyConfig config) {
        return start(garden, config, ProxyObserver.NONE);
    }

    /** As {@link #start(GardenClient, ProxyConfig)}, telling {@code observer} of every answered request. */
    public static Proxy start(GardenClient garden, ProxyConfig config, ProxyObserver observer) {
        Environments envs = new Environments(garden, config, new SocketProbe(), Clock.systemUTC());
        try {
            envs.restore();
            return new Proxy(envs, new ProxyServer(envs, config, observer));
        } catch (RuntimeException e) {
            envs.close();
            throw e;
        }
    }

    /** How many environments are live or starting now (for metrics). */
    public int liveEnvironments() {
        return envs.list().size();
    }

    /** A live or starting environment as an operator sees it (the web console's listing). */
    public record EnvironmentStatus(String id, String url, java.time.Instant expires, long requestsServed) {
    }

    /** The live and starting environments, oldest first, each with its URL on this proxy and its end as things stand. */
    public java.util.List<EnvironmentStatus> environments() {
        InetSocketAddress a = server.address();
        return envs.list().stream().map(e -> new EnvironmentStatus(e.id(),
                "http://" + a.getHostString() + ":" + a.getPort() + "/demo/" + e.id() + "/", envs.expires(e),
                envs.activity(e.id()).begun())).toList();
    }

    /** Ends an environment now (it answers 410 and its container is destroyed); false if no such environment lives. */
    public boolean end(String id) {
        return envs.end(id, "ended by an operator");
    }

    public InetSocketAddress address() {
        return server.address();
    }

    /** Stops serving; environments keep running until their TTL (a restarted proxy adopts them). */
    @Override
    public void close() {
        server.close();
        envs.close();
    }
}
