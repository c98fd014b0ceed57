package dev.cloche.daemon;

import dev.cloche.api.GardenClient;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.ContainerMetricsEntry;
import dev.cloche.console.Console;
import dev.cloche.proxy.Proxy;
import dev.cloche.web.ConsoleTasksView;
import java.util.Map;
import dev.cloche.web.ProxyEnvironmentsView;
import dev.cloche.web.WebRouter;
import dev.cloche.web.WebServer;
import dev.cloche.web.WebSessions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's wiring of the browser console: a fresh login token each start (printed as a login URL and written
 * to {@code <depot>/web/token}, 0600 in a 0700 directory), the web listener over the daemon's (audited) client, and
 * the console and the proxy adapted to the page's small view interfaces.
 */
final class WebConsole implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WebConsole.class);
    /** How long a browser session lasts before its user must log in again. */
    static final Duration SESSION_LIFETIME = Duration.ofHours(12);

    private final WebServer server;
    private final Path tokenFile;

    private WebConsole(WebServer server, Path tokenFile) {
        this.server = server;
        this.tokenFile = tokenFile;
    }

    static WebConsole start(WebSettings settings, GardenClient garden, String depot, Optional<Proxy> proxy,
                            Optional<Console> console, dev.cloche.api.PortLayer portLayer, dev.cloche.api.ImageCatalog images) {
        String token = WebSessions.randomToken();
        Path tokenFile = writeToken(Path.of(depot, "web"), token);
        WebRouter router = new WebRouter(new WebSessions(token, SESSION_LIFETIME, Clock.systemUTC()), garden,
                console.map(c -> tasks(c, garden)), proxy.map(WebConsole::environments), Optional.of(portLayer),
                Optional.of(images));
        WebServer server = WebServer.start(Daemon.address(settings.listen(), "--web-listen"), settings.tls(), router, garden);
        String scheme = settings.tls().isPresent() ? "https" : "http";
        String host = server.address().getAddress().isAnyLocalAddress() ? "127.0.0.1" : server.address().getHostString();
        log.info("web console: open {}://{}:{}/login?token={} (the token is also in {}, root only)", scheme, host,
                server.address().getPort(), token, tokenFile);
        return new WebConsole(server, tokenFile);
    }

    /** The token file, replaced whole each start (so a reader never sees half a token), 0600 from its creation. */
    private static Path writeToken(Path dir, String token) {
        try {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            Path tmp = dir.resolve("token.tmp");
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(tmp, token + "\n", StandardOpenOption.TRUNCATE_EXISTING);
            Path file = dir.resolve("token");
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the web console's token under " + dir, e);
        }
    }

    /** The console's tasks, each with its container's memory in use now (one bulk metrics call). */
    private static ConsoleTasksView tasks(Console console, GardenClient garden) {
        return new ConsoleTasksView() {
            @Override
            public List<Task> tasks() {
                List<Console.TaskStatus> all = console.taskStatuses();
                List<String> handles = all.stream().map(Console.TaskStatus::handle).filter(h -> !h.isEmpty()).toList();
                Map<String, ContainerMetricsEntry> metrics = handles.isEmpty() ? Map.of() : garden.bulkMetrics(handles);
                return all.stream().map(t -> new Task(t.id(), console.agentId(), t.sessions(),
                        Optional.ofNullable(metrics.get(t.handle())).flatMap(ContainerMetricsEntry::metrics)
                                .map(m -> m.memory().totalUsageTowardLimit()).orElse(0L))).toList();
            }

            @Override
            public void end(String id) {
                if (!console.stop(id)) {
                    throw new InvalidRequestException("no task '" + id + "' on this agent");
                }
            }
        };
    }

    private static ProxyEnvironmentsView environments(Proxy proxy) {
        return new ProxyEnvironmentsView() {
            @Override
            public List<Environment> environments() {
                return proxy.environments().stream()
                        .map(e -> new Environment(e.id(), e.url(), e.expires(), e.requestsServed())).toList();
            }

            @Override
            public void end(String id) {
                if (!proxy.end(id)) {
                    throw new InvalidRequestException("no live environment '" + id + "'");
                }
            }
        };
    }

    int port() {
        return server.address().getPort();
    }

    Path tokenFile() {
        return tokenFile;
    }

    @Override
    public void close() {
        server.close();
    }
}
