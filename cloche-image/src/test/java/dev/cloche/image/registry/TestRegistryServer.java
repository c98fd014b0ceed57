package dev.cloche.image.registry;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.cloche.image.ImageContent;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/**
 * A distribution API on the JDK's HTTP server for protocol edges: manifests by tag or digest and blobs from maps,
 * every request recorded, and a hook that may answer a request first (auth, failures, redirects).
 */
final class TestRegistryServer implements AutoCloseable {
    /** Answers the exchange and returns true, or returns false to let the registry serve it. */
    interface Hook {
        boolean handle(HttpExchange exchange) throws IOException;
    }

    record Request(String path, String authorization) { }

    private final HttpServer server;
    final Map<String, ImageContent.Blob> manifests = new ConcurrentHashMap<>();
    final Map<String, byte[]> blobs = new ConcurrentHashMap<>();
    final List<Request> requests = new CopyOnWriteArrayList<>();
    volatile Hook hook = exchange -> false;

    TestRegistryServer(String loopbackAddress) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getByName(loopbackAddress), 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", this::serve);
        server.start();
    }

    TestRegistryServer() throws IOException {
        this("127.0.0.1");
    }

    String address() {
        return server.getAddress().getAddress().getHostAddress() + ":" + server.getAddress().getPort();
    }

    /** Serves an image's manifest under a tag (and its digest), its config and layers as blobs. */
    void put(String repository, String tag, ImageContent.Image image) {
        putManifest(repository, tag, image.manifest());
        blobs.put(image.config().digest().toString(), image.config().bytes());
        image.layers().forEach(l -> blobs.put(l.digest().toString(), l.bytes()));
    }

    void putManifest(String repository, String tag, ImageContent.Blob manifest) {
        manifests.put(repository + ":" + manifest.digest(), manifest);
        if (tag != null) manifests.put(repository + ":" + tag, manifest);
    }

    long count(String pathPart) {
        return requests.stream().filter(r -> r.path().contains(pathPart)).count();
    }

    private void serve(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getRawPath();
            requests.add(new Request(path + (exchange.getRequestURI().getRawQuery() == null ? "" : "?" + exchange.getRequestURI().getRawQuery()),
                    exchange.getRequestHeaders().getFirst("Authorization")));
            if (hook.handle(exchange)) return;
            int m = path.indexOf("/manifests/");
            int b = path.indexOf("/blobs/");
            if (path.startsWith("/v2/") && m > 0) {
                ImageContent.Blob manifest = manifests.get(path.substring(4, m) + ":" + path.substring(m + 11));
                if (manifest == null) {
                    boolean repoKnown = manifests.keySet().stream().anyMatch(k -> k.startsWith(path.substring(4, m) + ":"));
                    error(exchange, 404, repoKnown ? "MANIFEST_UNKNOWN" : "NAME_UNKNOWN");
                    return;
                }
                exchange.getResponseHeaders().set("Content-Type", manifest.mediaType());
                exchange.getResponseHeaders().set("Docker-Content-Digest", manifest.digest().toString());
                send(exchange, 200, manifest.bytes());
            } else if (path.startsWith("/v2/") && b > 0) {
                byte[] blob = blobs.get(path.substring(b + 7));
                if (blob == null) {
                    error(exchange, 404, "BLOB_UNKNOWN");
                    return;
                }
                exchange.getResponseHeaders().set("Content-Type", "application/octet-stream");
                send(exchange, 200, blob);
            } else {
                error(exchange, 404, "NOT_FOUND");
            }
        }
    }

    static void error(HttpExchange exchange, int status, String code) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        send(exchange, status, ("{\"errors\":[{\"code\":\"" + code + "\",\"message\":\"" + code.toLowerCase() + "\"}]}")
                .getBytes(StandardCharsets.UTF_8));
    }

    static void send(HttpExchange exchange, int status, byte[] body) throws IOException {
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
