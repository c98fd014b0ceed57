package dev.cloche.proxy;

import dev.cloche.api.GardenError;
import dev.cloche.api.GardenException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's own API (docs/proxy.md): one {@link ProxyRoute.Control} in, one call into {@link Environments}, one
 * {@link Answer} out. No Netty: the connection decodes and writes. Errors are answered in one place here: the
 * proxy's own refusals ({@link ProxyError}) with their status, everything from the core through ErrorCodec.
 * Blocking (it creates and destroys containers): never call it on an event loop.
 */
final class ControlEndpoint {
    private static final Logger LOG = LoggerFactory.getLogger(ControlEndpoint.class);

    private final Environments envs;

    ControlEndpoint(Environments envs) {
        this.envs = envs;
    }

    /** {@code base} is {@code http://HOST:PORT} as the client reached the proxy, for the URLs in the answer. */
    Answer handle(ProxyRoute.Control route, String base) {
        try {
            return switch (route) {
                case ProxyRoute.Create(var template, boolean redirect) ->
                        created(envs.create(template.orElse(envs.defaultTemplate())), redirect, base);
                case ProxyRoute.ListAll() -> Answer.json(200, envs.list().stream().map(e -> describe(e, base)).toList());
                case ProxyRoute.Describe(String id) -> switch (envs.lookup(id)) {
                    case Environments.Lookup.Live(Environment e) -> Answer.json(200, describe(e, base));
                    case Environments.Lookup.Starting(Environment e, var ready) -> Answer.json(200, describe(e, base));
                    case Environments.Lookup other -> Answer.missing(id, other);
                };
                case ProxyRoute.End(String id) -> envs.end(id, "deleted") ? Answer.noContent() : Answer.missing(id, envs.lookup(id));
                case ProxyRoute.NoSuchPath(String path) -> Answer.text(404, "not found: " + path + " (try POST /demo/new)");
            };
        } catch (ProxyError e) {
            return Answer.text(e.status(), e.getMessage());
        } catch (GardenException e) {
            return Answer.error(e, failed(route) + ": " + e.getMessage());
        } catch (RuntimeException e) {
            LOG.warn("{}: unexpected failure", failed(route), e);
            return Answer.error(GardenError.internal(String.valueOf(e.getMessage()), e), "internal error: " + e.getMessage());
        }
    }

    private Answer created(Environment e, boolean redirect, String base) {
        String location = "/demo/" + e.id() + "/";
        Answer a = redirect ? Answer.text(303, "see " + location) : Answer.json(201, describe(e, base));
        return a.with("location", location);
    }

    /**
     * An environment as the API shows it: {@code {id, template, url, created, expires, ready}}, in that order;
     * {@code expires} is when it ends as things stand (an idle lifetime moves it with use), {@code ready} false while
     * its server has not passed its readiness check.
     */
    Map<String, Object> describe(Environment e, String base) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", e.id());
        m.put("template", e.template());
        m.put("url", base + "/demo/" + e.id() + "/");
        m.put("created", e.created().toString());
        m.put("expires", envs.expires(e).toString());
        m.put("ready", envs.lookup(e.id()) instanceof Environments.Lookup.Live);
        return m;
    }

    private static String failed(ProxyRoute.Control route) {
        return switch (route) {
            case ProxyRoute.Create c -> "cannot create environment";
            case ProxyRoute.ListAll l -> "cannot list environments";
            case ProxyRoute.Describe(String id) -> "cannot describe environment " + id;
            case ProxyRoute.End(String id) -> "cannot end environment " + id;
            case ProxyRoute.NoSuchPath p -> "cannot answer " + p.path();
        };
    }
}
