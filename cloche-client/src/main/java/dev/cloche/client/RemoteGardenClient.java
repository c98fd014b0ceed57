package dev.cloche.client;

import dev.cloche.api.Capacity;
import dev.cloche.api.Container;
import dev.cloche.api.ContainerInfoEntry;
import dev.cloche.api.ContainerMetricsEntry;
import dev.cloche.api.ContainerNotFoundException;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.EventFilter;
import dev.cloche.api.EventReplay;
import dev.cloche.api.EventSource;
import dev.cloche.api.EventSubscription;
import dev.cloche.api.GardenClient;
import dev.cloche.api.GardenError;
import dev.cloche.api.GardenException;
import dev.cloche.api.ImageCatalog;
import dev.cloche.api.ImageInfo;
import dev.cloche.api.ImagePruneReport;
import dev.cloche.api.ImageRef;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.LayerProgress;
import dev.cloche.wire.ErrorCodec;
import dev.cloche.wire.EventRoute;
import dev.cloche.wire.GardenJson;
import dev.cloche.wire.ImageJson;
import dev.cloche.wire.ImageRoute;
import dev.cloche.wire.Query;
import dev.cloche.wire.Route;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A {@link GardenClient} speaking Garden's HTTP wire protocol, like Garden's Go client: one connection per call
 * ({@code Connection: close}), Run/Attach over a hijacked connection plus one connection per output stream. It is
 * also the daemon's {@link ImageCatalog}, over Cloche's image routes ({@link ImageRoute}); a Garden server that is
 * not Cloche has none, and those calls fail with an {@link InvalidRequestException} that says so.
 */
public final class RemoteGardenClient implements GardenClient, ImageCatalog, EventSource {
    private final Dialer dialer;

    private RemoteGardenClient(Dialer dialer) {
        this.dialer = dialer;
    }

    /** Plain HTTP over TCP, as Garden's Go client speaks it. */
    public static RemoteGardenClient tcp(String host, int port) {
        return tcp(host, port, ClientSecurity.NONE);
    }

    /** Over TCP with TLS and/or a bearer token as {@code security} says. */
    public static RemoteGardenClient tcp(String host, int port, ClientSecurity security) {
        return new RemoteGardenClient(Dialer.of(new InetSocketAddress(host, port), security));
    }

    public static RemoteGardenClient unix(Path socket) {
        return unix(socket, ClientSecurity.NONE);
    }

    /** Over a unix socket, sending {@code security}'s token (a server may require one there too); TLS is for TCP. */
    public static RemoteGardenClient unix(Path socket, ClientSecurity security) {
        return new RemoteGardenClient(Dialer.of(UnixDomainSocketAddress.of(socket), security));
    }

    Dialer dialer() {
        return dialer;
    }

    /** The request line target: the route's escaped path plus a form-encoded query (if any). */
    static String target(Route route, Map<String, String> query, String... params) {
        String q = Query.encode(query);
        return route.path(params) + (q.isEmpty() ? "" : "?" + q);
    }

    /** Writes a request head; {@code extraHeaders} are CRLF-ended header lines (the body's framing, ...), or empty. */
    static void writeHead(HttpConnection c, String method, String target, String extraHeaders) throws IOException {
        c.write(method + " " + target + " HTTP/1.1\r\nHost: api\r\nUser-Agent: cloche-client\r\n" + c.authorization()
                + extraHeaders + "\r\n");
    }

    /** The GardenException an error answer carries, for the caller to throw. */
    static GardenException error(HttpConnection c, HttpConnection.ResponseHead head) {
        if (head.status() == 401 || head.status() == 403) {
            // the server says nothing more on purpose (docs/security.md, Access to the API)
            return new InvalidRequestException("the server refused this client (HTTP " + head.status() + "): "
                    + (head.status() == 401 ? "a bearer token is required, or the one given is wrong (--token)"
                    : "not allowed"));
        }
        String body;
        try {
            body = new String(c.readBody(head), StandardCharsets.UTF_8);
        } catch (IOException e) {
            body = "";
        }
        return ErrorCodec.decode(head.status(), head.header(ErrorCodec.KIND_HEADER), body);
    }

    /** One plain call on its own connection; returns the 2xx body or throws the decoded error. */
    String call(Route route, Map<String, String> query, Optional<String> json, String... params) {
        try (HttpConnection c = dialer.open()) {
            HttpConnection.ResponseHead head = send(c, route.method(), target(route, query, params), json);
            if (!head.ok()) {
                throw error(c, head);
            }
            return new String(c.readBody(head), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw GardenError.internal(route.name() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes a request with an optional JSON body (Connection: close) and reads the answer's head. A server may
     * answer without reading the body (a route it does not have) and close: the answer still counts, not the
     * broken pipe.
     */
    private static HttpConnection.ResponseHead send(HttpConnection c, String method, String target, Optional<String> json)
            throws IOException {
        byte[] body = json.map(j -> j.getBytes(StandardCharsets.UTF_8)).orElse(new byte[0]);
        String headers = "Connection: close\r\n"
                + (json.isPresent() ? "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\n" : "");
        IOException sendFailure = null;
        try {
            writeHead(c, method, target, headers);
            c.write(body);
        } catch (IOException e) {
            sendFailure = e;
        }
        try {
            return c.readHead();
        } catch (IOException e) {
            throw sendFailure != null ? sendFailure : e;
        }
    }

    String call(Route route, String... params) {
        return call(route, Map.of(), Optional.empty(), params);
    }

    @Override
    public void ping() {
        call(Route.PING);
    }

    @Override
    public Capacity capacity() {
        return GardenJson.decodeCapacity(call(Route.CAPACITY));
    }

    @Override
    public Container create(ContainerSpec spec) {
        String handle = GardenJson.decodeHandle(
                call(Route.CREATE, Map.of(), Optional.of(GardenJson.encodeContainerSpec(spec))));
        return new RemoteContainer(this, handle);
    }

    @Override
    public void destroy(String handle) {
        call(Route.DESTROY, handle);
    }

    @Override
    public List<Container> containers(Map<String, String> properties) {
        return GardenJson.decodeHandles(call(Route.LIST, properties, Optional.empty())).stream()
                .map(h -> (Container) new RemoteContainer(this, h)).toList();
    }

    @Override
    public Map<String, ContainerInfoEntry> bulkInfo(List<String> handles) {
        return GardenJson.decodeBulkInfo(call(Route.BULK_INFO, Map.of("handles", String.join(",", handles)), Optional.empty()));
    }

    @Override
    public Map<String, ContainerMetricsEntry> bulkMetrics(List<String> handles) {
        return GardenJson.decodeBulkMetrics(
                call(Route.BULK_METRICS, Map.of("handles", String.join(",", handles)), Optional.empty()));
    }

    /** Garden has no lookup route: list everything and search, as the Go client does. */
    @Override
    public Container lookup(String handle) {
        if (!GardenJson.decodeHandles(call(Route.LIST)).contains(handle)) {
            throw new ContainerNotFoundException(handle);
        }
        return new RemoteContainer(this, handle);
    }

    @Override
    public List<ImageInfo> images() {
        return ImageJson.decodeImages(imageCall(ImageRoute.LIST));
    }

    @Override
    public ImagePruneReport pruneImages() {
        return ImageJson.decodePruneReport(imageCall(ImageRoute.PRUNE));
    }

    /**
     * Sends the reference and its credentials in the body (never in the URL) and reads the answer's records as they
     * arrive, handing each progress record to {@code progress} on this thread. A failure the server reports after the
     * first record arrives as the stream's last record and is thrown as the same exception.
     */
    @Override
    public ImageInfo pullImage(ImageRef ref, Consumer<LayerProgress> progress) {
        try (HttpConnection c = dialer.open()) {
            HttpConnection.ResponseHead head = send(c, ImageRoute.PULL.method(), ImageRoute.PULL.path(),
                    Optional.of(ImageJson.encodePullRequest(ref)));
            if (!head.ok()) {
                throw imageError(c, head);
            }
            BufferedReader lines = new BufferedReader(new InputStreamReader(c.body(head), StandardCharsets.UTF_8));
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                if (line.isBlank()) {
                    continue;
                }
                switch (ImageJson.decodePullRecord(line)) {
                    case ImageJson.Progress p -> progress.accept(p.progress());
                    case ImageJson.Pulled p -> {
                        return p.image();
                    }
                    case ImageJson.Failed f -> throw f.error();
                }
            }
            throw GardenError.internal("pull " + ref.uri() + ": the server ended its answer without the image");
        } catch (IOException e) {
            throw GardenError.internal("pull " + ref.uri() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Follows the daemon's events over Cloche's {@code GET /events} ({@link EventRoute}) on a connection of its own,
     * held until the subscription ends or is closed.
     */
    @Override
    public EventSubscription subscribe(EventFilter filter, EventReplay replay) {
        return RemoteEventSubscription.open(dialer::open, dialer.address().toString(),
                new EventRoute.Request(filter, replay));
    }

    private String imageCall(ImageRoute route) {
        try (HttpConnection c = dialer.open()) {
            HttpConnection.ResponseHead head = send(c, route.method(), route.path(), Optional.empty());
            if (!head.ok()) {
                throw imageError(c, head);
            }
            return new String(c.readBody(head), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw GardenError.internal("images " + route.name() + ": " + e.getMessage(), e);
        }
    }

    /** An image route's error answer; a plain 404 (no Cloche error kind) means the server has no image routes. */
    private GardenException imageError(HttpConnection c, HttpConnection.ResponseHead head) {
        if (head.status() == 404 && head.header(ErrorCodec.KIND_HEADER).isEmpty()) {
            return new InvalidRequestException("the server at " + dialer.address() + " serves no images (a Garden server that is not Cloche?)");
        }
        return error(c, head);
    }

    /**
     * Nothing to release: every call opens its own connection and closes it when it returns, and a {@code Process}
     * holds its own connections until it is closed. Containers and processes are untouched.
     */
    @Override
    public void close() {}

    /** A streaming GET body (StreamOut) whose close closes the connection. */
    InputStream openStream(Route route, Map<String, String> query, String... params) {
        HttpConnection c = dialer.open();
        try {
            writeHead(c, route.method(), target(route, query, params), "Connection: close\r\n");
            HttpConnection.ResponseHead head = c.readHead();
            if (!head.ok()) {
                GardenException e = error(c, head);
                c.close();
                throw e;
            }
            InputStream body = c.body(head);
            return new java.io.FilterInputStream(body) {
                private boolean closed;

                @Override
                public void close() {
                    if (!closed) {
                        closed = true;
                        c.close();
                    }
                }
            };
        } catch (IOException e) {
            c.close();
            throw GardenError.internal(route.name() + ": " + e.getMessage(), e);
        }
    }

    /** A chunked upload (StreamIn): the body is streamed, never buffered whole. */
    void upload(Route route, Map<String, String> query, InputStream data, String... params) {
        try (HttpConnection c = dialer.open()) {
            writeHead(c, route.method(), target(route, query, params),
                    "Connection: close\r\nContent-Type: application/x-tar\r\nTransfer-Encoding: chunked\r\n");
            IOException sendFailure = null;
            try (var out = c.chunkedOutput()) {
                data.transferTo(out);
            } catch (IOException e) {
                sendFailure = e; // the server may have answered early (an error): read it below
            }
            HttpConnection.ResponseHead head;
            try {
                head = c.readHead();
            } catch (IOException e) {
                throw sendFailure != null ? sendFailure : e;
            }
            if (!head.ok()) {
                throw error(c, head);
            }
            c.readBody(head);
        } catch (IOException e) {
            throw GardenError.internal(route.name() + ": " + e.getMessage(), e);
        }
    }
}
