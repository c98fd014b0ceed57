package dev.cloche.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.cloche.api.GardenClient;
import dev.cloche.core.ContainerManager;
import dev.cloche.core.CoreConfig;
import dev.cloche.testkit.FakeBackend;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The relay itself, against servers on loopback (no containers): headers, streaming, keep-alive, upgrades, failures. */
class ProxyServerTest {
    @TempDir
    Path tmp;
    private GardenClient garden;
    private Environments envs;
    private ProxyServer proxy;
    private HttpServer upstream;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void setUp() throws IOException {
        garden = ContainerManager.start(new FakeBackend(), CoreConfig.DEFAULTS);
        ProxyConfig config = ProxyConfig.of(new InetSocketAddress("127.0.0.1", 0), List.of(Template.DEFAULT));
        envs = new Environments(garden, config, (h, p) -> true, Clock.systemUTC());
        proxy = new ProxyServer(envs, config.listen());
        upstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        upstream.createContext("/echo", x -> {
            StringBuilder b = new StringBuilder(x.getRequestMethod() + " " + x.getRequestURI() + "\n");
            for (String h : List.of("X-forwarded-for", "X-forwarded-proto", "X-forwarded-host", "Connection")) {
                b.append(h.toLowerCase()).append('=').append(x.getRequestHeaders().getFirst(h)).append('\n');
            }
            byte[] body = x.getRequestBody().readAllBytes();
            b.append("body=").append(body.length).append('\n');
            byte[] out = b.toString().getBytes(StandardCharsets.UTF_8);
            x.sendResponseHeaders(200, 0); // chunked
            try (OutputStream o = x.getResponseBody()) {
                o.write(out);
            }
        });
        upstream.start();
    }

    @AfterEach
    void tearDown() {
        upstream.stop(0);
        proxy.close();
        envs.close();
        garden.close();
    }

    private Environment adopt(String id, int port) {
        Environment e = new Environment(id, "default", "h-" + id, Instant.now(), Instant.now().plus(Duration.ofMinutes(5)), "127.0.0.1", port);
        envs.adopt(e);
        return e;
    }

    private String url(String path) {
        return "http://127.0.0.1:" + proxy.address().getPort() + path;
    }

    @Test
    void relaysMethodPathQueryBodyAndForwardedHeadersOnOneKeptAliveConnection() throws Exception {
        adopt("abc", upstream.getAddress().getPort());
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url("/demo/abc/echo/x?q=" + i)))
                    .header("X-Forwarded-For", "10.9.9.9").POST(HttpRequest.BodyPublishers.ofString("12345")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).contains("POST /echo/x?q=" + i, "x-forwarded-for=10.9.9.9, 127.0.0.1", "x-forwarded-proto=http",
                    "x-forwarded-host=127.0.0.1:" + proxy.address().getPort(), "body=5");
        }
    }

    @Test
    void aDeadUpstreamIsA502AndUnknownOrEndedIdsAre404And410() throws Exception {
        int free;
        try (var s = new java.net.ServerSocket(0)) {
            free = s.getLocalPort();
        }
        adopt("dead", free);
        assertThat(http.send(HttpRequest.newBuilder(URI.create(url("/demo/dead/"))).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
                .isEqualTo(502);
        assertThat(http.send(HttpRequest.newBuilder(URI.create(url("/demo/feed/"))).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
                .isEqualTo(404);
        envs.end("dead", "test");
        assertThat(http.send(HttpRequest.newBuilder(URI.create(url("/demo/dead/"))).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
                .isEqualTo(410);
    }

    @Test
    void websocketsAreTunnelledToAnUpstreamThatSwitchesProtocols() throws Exception {
        Path wsecho = tmp.resolve("wsecho");
        Process gcc = new ProcessBuilder("gcc", "-O2", "-o", wsecho.toString(), Path.of("src/test/native/wsecho.c").toAbsolutePath().toString())
                .inheritIO().start();
        assertThat(gcc.waitFor()).isZero();
        int port;
        try (var s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Process server = new ProcessBuilder(wsecho.toString(), Integer.toString(port)).inheritIO().start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (!Proxy.accepts("127.0.0.1", port)) {
                assertThat(System.nanoTime()).isLessThan(deadline);
                Thread.sleep(20);
            }
            adopt("aced", port);
            CompletableFuture<String> echoed = new CompletableFuture<>();
            WebSocket ws = http.newWebSocketBuilder().buildAsync(URI.create("ws://127.0.0.1:" + proxy.address().getPort() + "/demo/aced/"),
                    new WebSocket.Listener() {
                        @Override
                        public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                            echoed.complete(data.toString());
                            return null;
                        }
                    }).get(10, TimeUnit.SECONDS);
            ws.sendText("tunnelled", true).get(5, TimeUnit.SECONDS);
            assertThat(echoed.get(5, TimeUnit.SECONDS)).isEqualTo("tunnelled");
        } finally {
            server.destroyForcibly();
        }
    }
}
