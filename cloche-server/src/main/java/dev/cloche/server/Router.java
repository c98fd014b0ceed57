package dev.cloche.server;

import dev.cloche.api.GardenException;
import dev.cloche.api.EventSubscription;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.wire.EventRoute;
import dev.cloche.wire.ImageRoute;
import dev.cloche.wire.PortLayerRoute;
import dev.cloche.wire.Query;
import dev.cloche.wire.Route;
import java.io.InputStream;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Garden's route table, with the port layer's mounted beside it under {@value PortLayerRoute#PREFIX}, Cloche's
 * images under {@value ImageRoute#PREFIX} and its event stream at {@value EventRoute#PATH} (segments no Garden route uses; a server without them answers 404 there,
 * as Garden's does): matches a request line and says what the request needs from its connection. Netty-free;
 * the answers come from the endpoints.
 */
final class Router {
    /** What a routed request needs from its connection; {@code route} names it in the access log. */
    sealed interface Routed permits Reject, Call, Upload, Download, Records, Hijack, Follow {
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

    /**
     * Read the body, then answer with a chunked stream of newline-delimited JSON records (off the event loop): each
     * line {@code call} emits, then the line it returns. The head goes out with the first line: a failure before it
     * is an ordinary error answer, a failure after it becomes {@code failure}'s line, the stream's last.
     */
    record Records(String route, RecordCall call, Function<GardenException, String> failure) implements Routed {}

    /** A route that answers with records: emits the first ones as they come and returns the last. */
    @FunctionalInterface
    interface RecordCall {
        String run(String body, Consumer<String> emit);
    }

    /** Read the body, then stream the events of the subscription {@code subscribe} opens until it or the client ends (EVENTS). */
    record Follow(String route, Supplier<EventSubscription> subscribe) implements Routed {}

    /** Read the body, then leave HTTP: a Run or Attach connection, or a process's stdout or stderr stream. */
    record Hijack(String route, Route.Found found) implements Routed {}

    private final GardenEndpoint garden;
    private final Optional<PortLayerEndpoint> portLayer;
    private final Optional<ImageEndpoint> images;
    private final Optional<EventEndpoint> events;

    Router(GardenEndpoint garden, Optional<PortLayerEndpoint> portLayer) {
        this(garden, portLayer, Optional.empty());
    }

    Router(GardenEndpoint garden, Optional<PortLayerEndpoint> portLayer, Optional<ImageEndpoint> images) {
        this(garden, portLayer, images, Optional.empty());
    }

    Router(GardenEndpoint garden, Optional<PortLayerEndpoint> portLayer, Optional<ImageEndpoint> images,
           Optional<EventEndpoint> events) {
        this.garden = garden;
        this.portLayer = portLayer;
        this.images = images;
        this.events = events;
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
        if (images.isPresent() && ImageRoute.handles(path)) {
            return images(images.get(), ImageRoute.match(method, path));
        }
        if (events.isPresent() && EventRoute.handles(path)) {
            return events(events.get(), method, q < 0 ? "" : uri.substring(q + 1));
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

    private static Routed events(EventEndpoint endpoint, String method, String rawQuery) {
        if (!method.equals(EventRoute.METHOD)) {
            return new Reject(RequestLine.NO_ROUTE, Answer.methodNotAllowed(java.util.Set.of(EventRoute.METHOD)), false);
        }
        return new Follow("EVENTS", () -> endpoint.subscribe(rawQuery));
    }

    private static Routed images(ImageEndpoint endpoint, ImageRoute.Match m) {
        if (m.route().isEmpty()) {
            return new Reject(RequestLine.NO_ROUTE,
                    m.allow().isEmpty() ? Answer.notFound() : Answer.methodNotAllowed(m.allow()), false);
        }
        ImageRoute route = m.route().get();
        String name = "IMAGES_" + route.name();
        return switch (route) {
            case PULL -> new Records(name, endpoint::pull, ImageEndpoint::pullFailure);
            case LIST, PRUNE -> new Call(name, body -> endpoint.handle(route, body));
        };
    }
}
