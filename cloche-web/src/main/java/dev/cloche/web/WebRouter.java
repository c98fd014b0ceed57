package dev.cloche.web;

import dev.cloche.api.GardenException;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every HTTP route of the web console, free of Netty: the login exchange, the session gate, CSRF on every state
 * change, the JSON API and the page's files. Connection handling (and the terminal's websocket) is
 * {@link WebHttpHandler}'s.
 */
public final class WebRouter {
    private static final Logger log = LoggerFactory.getLogger(WebRouter.class);
    static final String CONTAINERS = "/api/containers";

    private final WebSessions sessions;
    private final ContainersApi containers;
    private final Optional<ConsoleTasksView> tasks;
    private final Optional<ProxyEnvironmentsView> environments;
    private final Optional<PortLayerApi> portLayer;

    public WebRouter(WebSessions sessions, dev.cloche.api.GardenClient garden, Optional<ConsoleTasksView> tasks,
                     Optional<ProxyEnvironmentsView> environments) {
        this(sessions, garden, tasks, environments, Optional.empty());
    }

    public WebRouter(WebSessions sessions, dev.cloche.api.GardenClient garden, Optional<ConsoleTasksView> tasks,
                     Optional<ProxyEnvironmentsView> environments, Optional<dev.cloche.api.PortLayer> portLayer) {
        this(sessions, garden, tasks, environments, portLayer, Optional.empty());
    }

    /** @param images where each container's image is read from (the catalog's holders); empty: no image column */
    public WebRouter(WebSessions sessions, dev.cloche.api.GardenClient garden, Optional<ConsoleTasksView> tasks,
                     Optional<ProxyEnvironmentsView> environments, Optional<dev.cloche.api.PortLayer> portLayer,
                     Optional<dev.cloche.api.ImageCatalog> images) {
        this.sessions = Objects.requireNonNull(sessions, "sessions");
        this.containers = new ContainersApi(garden, images);
        this.tasks = Objects.requireNonNull(tasks, "tasks");
        this.environments = Objects.requireNonNull(environments, "environments");
        this.portLayer = portLayer.map(PortLayerApi::new);
    }

    WebSessions sessions() {
        return sessions;
    }

    /** Answers one request; {@code secure} says whether it came over TLS (the cookie is then {@code Secure}). */
    public WebAnswer handle(WebRequest r, boolean secure) {
        if (r.path().equals("/login")) {
            return login(r, secure);
        }
        Optional<WebSessions.Session> session = sessions.fromCookieHeader(r.header("cookie"));
        if (session.isEmpty()) {
            return refused(r.path());
        }
        if (r.changesState() && !WebSessions.csrfMatches(session.get(), r.header(WebSessions.CSRF_HEADER))) {
            return WebJson.error(403, "CSRF", "a state change needs the session's " + WebSessions.CSRF_HEADER + " header");
        }
        try {
            return route(r, session.get());
        } catch (GardenException e) {
            return WebJson.error(e);
        } catch (RuntimeException e) {
            log.warn("web request {} {} failed", r.method(), r.path(), e);
            return WebJson.error(500, "INTERNAL", e.toString());
        }
    }

    private WebAnswer route(WebRequest r, WebSessions.Session session) {
        String p = r.path();
        String m = r.method();
        if (p.equals("/api/session") && m.equals("GET")) {
            return WebJson.ok(Map.of("csrfToken", session.csrfToken(), "consoleTasks", tasks.isPresent(),
                    "proxyEnvironments", environments.isPresent(), "portLayer", portLayer.isPresent()));
        }
        if (p.equals("/api/logout") && m.equals("POST")) {
            sessions.end(session);
            return WebAnswer.noContent().withHeader("Set-Cookie",
                    WebSessions.COOKIE + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
        }
        if (p.equals(CONTAINERS)) {
            return switch (m) {
                case "GET" -> containers.list(r.query().getOrDefault("property", List.of()));
                case "POST" -> containers.create(r.bodyText());
                default -> notAllowed(r);
            };
        }
        if (p.startsWith(CONTAINERS + "/")) {
            String[] parts = p.substring(CONTAINERS.length() + 1).split("/", -1);
            String handle = parts[0];
            if (parts.length == 1 && m.equals("DELETE")) {
                return containers.destroy(handle);
            }
            if (parts.length == 2 && parts[1].equals("files")) {
                return switch (m) {
                    case "GET" -> containers.download(handle, r.param("path").orElse(""));
                    case "POST" -> containers.upload(handle, r.param("dir").orElse("/"), r.param("name"),
                            r.param("tar").map(Boolean::parseBoolean).orElse(false), r.body());
                    default -> notAllowed(r);
                };
            }
        }
        if (p.equals("/api/tasks") && tasks.isPresent()) {
            return m.equals("GET") ? WebJson.ok(tasks.get().tasks()) : notAllowed(r);
        }
        if (p.startsWith("/api/tasks/") && tasks.isPresent() && m.equals("DELETE")) {
            tasks.get().end(p.substring("/api/tasks/".length()));
            return WebAnswer.noContent();
        }
        if (p.equals("/api/environments") && environments.isPresent()) {
            return m.equals("GET") ? WebJson.ok(environments.get().environments()) : notAllowed(r);
        }
        if (p.startsWith("/api/environments/") && environments.isPresent() && m.equals("DELETE")) {
            environments.get().end(p.substring("/api/environments/".length()));
            return WebAnswer.noContent();
        }
        if (p.equals("/api/portlayer") && portLayer.isPresent()) {
            return m.equals("GET") ? portLayer.get().list() : notAllowed(r);
        }
        if (m.equals("GET") || m.equals("HEAD")) {
            Optional<WebAnswer> asset = Assets.get(p);
            if (asset.isPresent()) {
                return asset.get();
            }
        }
        return WebJson.error(404, "NOT_FOUND", "no route " + m + " " + p);
    }

    private WebAnswer login(WebRequest r, boolean secure) {
        Optional<WebSessions.Session> s = r.param("token").flatMap(sessions::login);
        if (s.isEmpty()) {
            log.warn("web login refused: {} token", r.param("token").isPresent() ? "wrong" : "no");
            return refused("/login");
        }
        // a page, not a redirect: the SameSite=Strict cookie is then surely sent with the next, same-site request
        return WebAnswer.html(200, """
                        <!doctype html><html lang="en"><head><meta charset="utf-8">
                        <meta http-equiv="refresh" content="0;url=/"><title>Cloche: logged in</title></head>
                        <body><p>Logged in. <a href="/">Open the console</a>.</p></body></html>""")
                .withHeader("Set-Cookie", WebSessions.cookie(s.get(), secure));
    }

    private static WebAnswer refused(String path) {
        if (path.startsWith("/api/")) {
            return WebJson.error(401, "UNAUTHENTICATED", "log in first: open the URL the daemon printed at start");
        }
        return WebAnswer.html(401, """
                <!doctype html><html lang="en"><head><meta charset="utf-8"><title>Cloche: log in</title></head>
                <body><main><h1>Log in to Cloche</h1>
                <p>This page is a root shell into every container, so it needs the login token.
                Open the URL <code>clocheD</code> printed at start, or read the token from
                <code>&lt;depot&gt;/web/token</code> (root only) and open <code>/login?token=&lt;token&gt;</code>.</p>
                </main></body></html>""");
    }

    private static WebAnswer notAllowed(WebRequest r) {
        return WebJson.error(405, "METHOD_NOT_ALLOWED", r.method() + " is not allowed on " + r.path());
    }

    /** For the terminal's websocket upgrade: the session, only when the Origin is this very server. */
    Optional<WebSessions.Session> socketSession(WebRequest r, boolean secure) {
        String origin = r.header("origin");
        String host = r.header("host");
        if (host.isEmpty() || !origin.equals((secure ? "https://" : "http://") + host)) {
            return Optional.empty();
        }
        return sessions.fromCookieHeader(r.header("cookie"));
    }

}
