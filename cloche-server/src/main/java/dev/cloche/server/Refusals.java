package dev.cloche.server;

import dev.cloche.api.Caller;
import dev.cloche.wire.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log of refused access, at WARN under its own logger name ({@code dev.cloche.server.Access}) so an operator
 * can route it apart: who (the connection's caller), what they asked for, and why they were refused. The client
 * is told none of the why.
 */
final class Refusals {
    private static final Logger LOG = LoggerFactory.getLogger("dev.cloche.server.Access");

    private Refusals() {}

    /** An HTTP request refused with {@code status}; {@code uri} as received (its query is not logged). */
    static void request(Caller caller, String method, String uri, int status, String why) {
        int q = uri.indexOf('?');
        String path = q < 0 ? uri : uri.substring(0, q);
        String route = Route.match(method, path) instanceof Route.Found f ? f.route().name() : RequestLine.NO_ROUTE;
        LOG.warn("refused caller={} method={} path={} route={} status={} why={}", describe(caller), method, path, route,
                status, why);
    }

    /** A connection refused before any request (a failed TLS handshake: no client certificate, an unknown CA). */
    static void connection(Caller caller, String why) {
        // bounded: a plain-HTTP client's request comes back in the exception as hex
        LOG.warn("refused caller={} why={}", describe(caller), why.length() > 160 ? why.substring(0, 160) + "…" : why);
    }

    static String describe(Caller c) {
        return c.transport() + ":" + c.address() + c.subject().map(s -> " subject=\"" + s + "\"").orElse("");
    }
}
