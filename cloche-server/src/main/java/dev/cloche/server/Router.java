package dev.cloche.server;

import dev.cloche.api.InvalidRequestException;
import dev.cloche.wire.PortLayerRoute;
import dev.cloche.wire.Query;
import dev.cloche.wire.Route;
import java.io.InputStream;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Garden's route table, with the port layer's mounted beside it under {@value PortLayerRoute#PREFIX} (a segment no
 * Garden route uses): matches a request line and says what the request needs from its connection. Netty-free;
 * the answers come from the endpoints.
 */
final class Router {
    /** What a routed request needs from its connection; {@code route} names it in the access log. */
    sealed interface Routed permits Reject, Call, Upload, Download, Hijack {
        String route();
    }

    /** Answer now and skip the body; {@code close} drops the connection even if the client would keep it. */
    record Reject(String route, Answer answer, boolean close) implements Routed {}

    /** Read the whole body, then answer with {@code call}'s result (off the event loop). */
    record Call(String route, Function<String, Answer> call) implements Routed {}

    /** Stream the body into {@code call} as it arrives (off the event loop) and answer with its result. */
    record Upload(String route, Function<InputStream, Answer> call) implements Routed {}

    /** Read the body, then stream what {@code open} returns as the answer. */
    record Download(String route, Supplier<InputStream> open) implements Routed {}

    /** Read the body, then leave HTTP: a Run or Attach connection, or a process's stdout or stderr stream. */
    record Hijack(String route, Route.Found found) implements Routed {}

    private final GardenEndpoint garden;
    private final Optional<PortLayerEndpoint> portLayer;

    Router(GardenEndpoint garden, Optional<PortLayerEndpoint> portLayer) {
        this.garden = garden;
        this.portLayer = portLayer;
    }

    /** Routes a request by its method and raw URI; {@code header} looks up request headers by name. */
    Routed route(String method, String uri, Function<String, Optional<String>> header) {
        int q = uri.indexOf('?');
        String path = q < 0 ? uri : uri.substring(0, q);
        Map<String, String> query;
        try {
            query = Query.decode(q < 0 ? "" : uri.substring(q + 1));
        } catch (InvalidRequestException e) {
            return new Reject(RequestLine.NO_ROUTE, Answer.error(e), true);
        }
        if (portLayer.isPresent() && PortLayerRoute.handles(path)) {
            return portLayer(portLayer.get(), PortLayerRoute.match(method, path), query, header);
        }
        return switch (Route.match(method, path)) {
            case Route.NotFound nf -> new Reject(RequestLine.NO_ROUTE, Answer.notFound(), false);
            case Route.MethodNotAllowed mna -> new Reject(RequestLine.NO_ROUTE, Answer.methodNotAllowed(mna.allow()), false);
            case Route.Found f -> garden(f, query);
        };
    }

    private Routed garden(Route.Found f, Map<String, String> query) {
        String name = f.route().name();
        return switch (f.route()) {
            case STREAM_IN -> new Upload(name, tar -> garden.streamIn(f, query, tar));
            case STREAM_OUT -> new Download(name, () -> garden.streamOut(f, query));
            case RUN, ATTACH, STDOUT, STDERR -> new Hijack(name, f);
            default -> new Call(name, body -> garden.handle(f, query, body));
        };
    }

    private static Routed portLayer(PortLayerEndpoint endpoint, PortLayerRoute.Match m, Map<String, String> query,
                                    Function<String, Optional<String>> header) {
        if (m.route().isEmpty()) {
            return new Reject(RequestLine.NO_ROUTE,
                    m.allow().isEmpty() ? Answer.notFound() : Answer.methodNotAllowed(m.allow()), false);
        }
        Optional<String> ifMatch = header.apply("If-Match");
        Optional<String> ifNoneMatch = header.apply("If-None-Match");
        return new Call("PORTLAYER_" + m.route().get().name(), body -> endpoint.handle(m, query, ifMatch, ifNoneMatch, body));
    }
}
