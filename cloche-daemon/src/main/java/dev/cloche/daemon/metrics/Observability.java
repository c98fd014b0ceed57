package dev.cloche.daemon.metrics;

import dev.cloche.api.GardenClient;
import dev.cloche.api.ImageCatalog;
import dev.cloche.console.Console;
import dev.cloche.core.CoreObserver;
import dev.cloche.proxy.Proxy;
import dev.cloche.proxy.ProxyObserver;
import dev.cloche.server.RequestObserver;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The daemon's metrics part in one place: the meters ({@link DaemonMetrics}), the decorators the front-ends get
 * instead of the core, the observers the server, the core and the proxy are given, and the debug listener. Made
 * before the core (the core takes its {@link #coreObserver()}), then {@link #serve} once the core exists.
 */
public final class Observability implements AutoCloseable {
    private final DaemonMetrics metrics = new DaemonMetrics();
    private final ProxyObserver proxyRequests;
    private Optional<DebugListener> listener = Optional.empty();
    private int port;
    private Optional<ContainerCensus> census = Optional.empty();

    public Observability() {
        proxyRequests = (kind, status, nanos) -> DaemonMetrics.timer("cloche.proxy.requests")
                .description("Proxy requests by kind (control, relay) and HTTP status")
                .tags("kind", kind, "status", Integer.toString(status)).register(metrics.registry())
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    public CoreObserver coreObserver() {
        return metrics;
    }

    public RequestObserver requestObserver() {
        return metrics;
    }

    public ProxyObserver proxyObserver() {
        return proxyRequests;
    }

    /** The core as the front-ends (Garden server, console, proxy) should see it: metered. */
    public GardenClient front(GardenClient core) {
        return new MeteredGardenClient(core, metrics);
    }

    public ImageCatalog images(ImageCatalog core) {
        return new MeteredImageCatalog(core, metrics);
    }

    /** Gauges of the proxy's live environments. */
    public void watch(Proxy proxy) {
        metrics.gauge("cloche.proxy.environments", "Live proxy environments", proxy, Proxy::liveEnvironments);
    }

    /** Gauges of the console's tasks and SSH sessions. */
    public void watch(Console console) {
        metrics.gauge("cloche.console.tasks", "Console tasks running", console, c -> c.tasks().size());
        metrics.gauge("cloche.console.ssh.sessions", "Open console SSH sessions", console, Console::sshSessions);
    }

    /** Counts the core's containers and processes when scraped, and serves the debug pages on {@code address}. */
    public synchronized int serve(InetSocketAddress address, GardenClient core) {
        census = Optional.of(new ContainerCensus(core, System::nanoTime));
        census.get().register(metrics);
        Expvars expvars = new Expvars(() -> containers(core));
        Health health = new Health(core, Duration.ofSeconds(5));
        DebugListener l = DebugListener.start(address,
                new DebugListener.Pages(expvars::json, this::scrape, health::problem));
        listener = Optional.of(l);
        port = l.port();
        return port;
    }

    private synchronized Optional<ContainerCensus> census() {
        return census;
    }

    /** The debug listener's port, once {@link #serve} has run. */
    public synchronized int port() {
        return port;
    }

    private static int containers(GardenClient core) {
        try {
            return core.containers(java.util.Map.of()).size();
        } catch (RuntimeException e) {
            return -1;
        }
    }

    /** The Prometheus text of every meter (what {@code /metrics} serves). */
    public String scrape() {
        census().ifPresent(ContainerCensus::invalidate);
        return metrics.scrape();
    }

    @Override
    public synchronized void close() {
        listener.ifPresent(DebugListener::close);
        metrics.close();
    }
}
