package dev.cloche.daemon;

import dev.cloche.api.GardenClient;
import dev.cloche.audit.AuditLog;
import dev.cloche.audit.AuditedGardenClient;
import dev.cloche.audit.AuditedImageCatalog;
import dev.cloche.audit.AuditedVersionedContainers;
import dev.cloche.audit.Auditor;
import dev.cloche.console.Console;
import dev.cloche.core.ContainerManager;
import dev.cloche.core.ContainerStore;
import dev.cloche.core.CoreConfig;
import dev.cloche.core.CoreObserver;
import dev.cloche.api.GardenClient;
import dev.cloche.api.ImageCatalog;
import dev.cloche.daemon.metrics.Observability;
import dev.cloche.proxy.ProxyObserver;
import dev.cloche.core.FileContainerStore;
import java.nio.file.Path;
import dev.cloche.portlayer.CorePortLayer;
import dev.cloche.proxy.Proxy;
import dev.cloche.server.GardenServer;
import dev.cloche.spi.BackendProvider;
import dev.cloche.spi.ContainerBackend;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The wired daemon: backend (found by ServiceLoader, chosen by name) → core → Garden server (with the port layer). Closing it stops
 * serving; containers and their processes keep running (they outlive the daemon).
 */
public final class Daemon implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Daemon.class);

    private final ContainerBackend backend;
    private final ContainerManager core;
    private final GardenServer server;
    private final Optional<Console> console;
    private final Optional<Proxy> proxy;
    private final AuditLog audit;
    private final Optional<Observability> observability;
    private final Optional<WebConsole> web;
    private boolean closed;

    private Daemon(ContainerBackend backend, ContainerManager core, GardenServer server, Optional<Console> console,
                   Optional<Proxy> proxy, AuditLog audit, Optional<Observability> observability, Optional<WebConsole> web) {
        this.web = web;
        this.audit = audit;
        this.observability = observability;
        this.backend = backend;
        this.core = core;
        this.server = server;
        this.console = console;
        this.proxy = proxy;
    }

    public static Daemon start(DaemonConfig config) {
        List<BackendProvider> providers = ServiceLoader.load(BackendProvider.class).stream()
                .map(ServiceLoader.Provider::get).toList();
        BackendProvider provider = providers.stream().filter(p -> p.name().equals(config.backend())).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no backend named '" + config.backend() + "'; available: "
                        + providers.stream().map(BackendProvider::name).collect(Collectors.joining(", "))));
        ContainerBackend backend = provider.create(config.backendSettings());
        ContainerManager core = null;
        GardenServer server = null;
        AuditLog audit = AuditLog.none();
        // metrics (issue 17): meters and the debug listener, only with --debug-listen (otherwise nothing is metered)
        Optional<Observability> observability = config.debugListen().map(a -> new Observability());
        try {
            String depot = config.backendSettings().getOrDefault("depot", "/var/lib/cloche");
            // AUDIT: every edge reaches the core through the audit decorators, so each state change leaves a record
            audit = config.audit().open(depot);
            // properties and grace times live beside the backend's depot, so one directory holds all state
            ContainerStore store = new FileContainerStore(Path.of(depot, "core"));
            core = ContainerManager.start(backend, new CoreConfig(config.defaultGraceTime())
                    .withCreatePolicy(config.access().createPolicy())
                    .withObserver(observability.map(Observability::coreObserver).orElse(CoreObserver.NONE)), store);
            // every edge reaches the core through the meters (only with --debug-listen), then the audit log
            ContainerManager inner = core;
            GardenClient front = observability.map(o -> o.front(inner)).orElse(core);
            ImageCatalog images = observability.map(o -> o.images(inner)).orElse(core);
            Auditor auditor = Auditor.of(audit);
            boolean auditing = config.audit().enabled(); // --audit-log none: the edges call the core as before
            GardenClient audited = auditing ? new AuditedGardenClient(front, auditor) : front;
            // the port layer is a front-end in-process with the core: it needs the core's versioned configuration;
            // the image routes are the core's catalog (the backend's store)
            GardenServer.Builder serving = GardenServer.builder(audited)
                    .portLayer(new CorePortLayer(audited, auditing ? new AuditedVersionedContainers(core, auditor) : core))
                    .images(auditing ? new AuditedImageCatalog(images, auditor) : images);
            observability.ifPresent(o -> serving.requestObserver(o.requestObserver()));
            serving.events(core); // EVENTS: GET /events, the core's event stream (reading it changes nothing: not audited)
            config.listen().map(Daemon::address).ifPresent(serving::tcp);
            config.socket().ifPresent(serving::unixSocket);
            // ACCESS: the socket's group, TLS and the token on the TCP listener
            config.access().socketGroup().ifPresent(serving::socketGroup);
            config.access().tls().ifPresent(serving::tls);
            config.access().token().ifPresent(serving::token);
            server = serving.start();
            log.info("cloche daemon started backend={} listen={} socket={} settings={}", provider.name(),
                    config.listen().orElse("none"), config.socket().map(Object::toString).orElse("none"),
                    config.backendSettings());
            // the console and the proxy are more clients of the in-process core, audited as themselves
            AuditLog records = audit;
            GardenClient garden = front;
            Optional<Console> console = config.console().map(c -> Console.start(
                    auditing ? new AuditedGardenClient(garden, Auditor.frontEnd(records, "console")) : garden, c));
            Optional<Proxy> proxy = Optional.empty();
            Optional<WebConsole> web = Optional.empty();
            try {
                ProxyObserver proxyObserver = observability.map(Observability::proxyObserver).orElse(ProxyObserver.NONE);
                proxy = config.proxy().map(p -> Proxy.start(
                        auditing ? new AuditedGardenClient(garden, Auditor.frontEnd(records, "proxy")) : garden, p,
                        proxyObserver));
                if (observability.isPresent()) {
                    Observability o = observability.get();
                    console.ifPresent(o::watch);
                    proxy.ifPresent(o::watch);
                    o.serve(address(config.debugListen().get(), "--debug-listen"), inner);
                }
                // WEB: the browser console, one more audited client of the in-process core
                Optional<Proxy> proxied = proxy;
                GardenClient webClient = auditing ? new AuditedGardenClient(garden, Auditor.frontEnd(records, "web")) : garden;
                ContainerManager versions = core; // the web page reads the port layer's versions, it commits nothing
                web = config.web().map(w -> WebConsole.start(w, webClient, depot, proxied, console,
                        new CorePortLayer(webClient, versions), images));
            } catch (RuntimeException e) {
                web.ifPresent(WebConsole::close);
                proxy.ifPresent(Proxy::close);
                console.ifPresent(Console::close);
                throw e;
            }
            proxy.ifPresent(p -> log.info("proxy serving http://{}:{}/demo/new", p.address().getHostString(), p.address().getPort()));
            return new Daemon(backend, core, server, console, proxy, audit, observability, web);
        } catch (RuntimeException e) {
            observability.ifPresent(Observability::close);
            if (server != null) {
                server.close();
            }
            if (core != null) {
                core.close();
            }
            audit.close();
            backend.close();
            throw e;
        }
    }

    /** {@code host:port} to an address; the host may be a name or an IPv4/IPv6 literal (IPv6 in brackets). */
    static InetSocketAddress address(String hostPort) {
        return address(hostPort, "--listen");
    }

    static InetSocketAddress address(String hostPort, String option) {
        int colon = hostPort.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException(option + " must be HOST:PORT, got " + hostPort);
        }
        String host = hostPort.substring(0, colon).replace("[", "").replace("]", "");
        return new InetSocketAddress(host, Integer.parseInt(hostPort.substring(colon + 1)));
    }

    public GardenServer server() {
        return server;
    }

    /** The web console's port (useful with port 0), when it runs. */
    public java.util.OptionalInt webPort() {
        return web.map(w -> java.util.OptionalInt.of(w.port())).orElse(java.util.OptionalInt.empty());
    }

    /** The debug listener's port (useful with port 0), when there is one. */
    public java.util.OptionalInt debugPort() {
        return observability.map(o -> java.util.OptionalInt.of(o.port())).orElse(java.util.OptionalInt.empty());
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        log.info("cloche daemon stopping; containers keep running (console tasks too, resumed at the next start)");
        web.ifPresent(WebConsole::close);
        observability.ifPresent(Observability::close);
        proxy.ifPresent(Proxy::close);
        console.ifPresent(Console::close);
        server.close();
        core.close();
        audit.close();
        backend.close();
    }
}
