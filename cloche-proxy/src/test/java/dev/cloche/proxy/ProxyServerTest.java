package dev.cloche.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.cloche.api.GardenClient;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.ResourceExhaustedException;
import dev.cloche.core.ContainerManager;
import dev.cloche.core.CoreConfig;
import dev.cloche.testkit.FakeBackend;
import dev.cloche.wire.ErrorCodec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The relay itself, against servers on loopback (no containers): headers, streaming, keep-alive, upgrades, failures. */
class ProxyServerTest {
    @TempDir
    Path tmp;
    private final FakeBackend backend = new FakeBackend();
    private GardenClient garden;
    private ProxyConfig config;
    private Environments envs;
    private ProxyServer proxy;
    private HttpServer upstream;
    /** HTTP/1.1 only: the default client's h2c upgrade attempt is a protocol switch, which never reuses a connection. */
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeEach
    void setUp() throws IOException {
        garden = ContainerManager.start(backend, CoreConfig.DEFAULTS);
        config = ProxyConfig.of(new InetSocketAddress("127.0.0.1", 0), List.of(Template.DEFAULT));
        envs = new Environments(garden, config, (h, p) -> true, Clock.systemUTC());
        proxy = new ProxyServer(envs, config);
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
        awaitUpstreams(1); // the client's one connection kept one upstream connection alive for all three
        // a client that tries h2c first (Java's default) is relayed as HTTP/1.1 all the same
        HttpResponse<String> h2c = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url("/demo/abc/echo/y"))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(h2c.statusCode()).isEqualTo(200);
        assertThat(h2c.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
        assertThat(h2c.body()).contains("GET /echo/y");
    }

    @Test
    void theObserverIsToldOfEveryAnswerOnceWithItsKindAndStatus() throws Exception {
        List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (ProxyServer observed = new ProxyServer(envs, config, (kind, status, nanos) -> {
            assertThat(nanos).isPositive();
            seen.add(kind + " " + status);
        })) {
            adopt("0b5", upstream.getAddress().getPort());
            String base = "http://127.0.0.1:" + observed.address().getPort();
            for (int i = 0; i < 2; i++) {
                assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/demo/0b5/echo")).build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
            }
            int missing = http.send(HttpRequest.newBuilder(URI.create(base + "/demo/dead0/echo")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode();
            assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/demo")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
            assertThat(seen).containsExactly("relay 200", "relay 200", "relay " + missing, "control 200");
        }
    }

    private void awaitNoUpstream() throws InterruptedException {
        awaitUpstreams(0);
    }

    private void awaitUpstreams(int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (proxy.openUpstreams() != n) {
            assertThat(System.nanoTime()).as("upstream connections left open").isLessThan(deadline);
            Thread.sleep(20);
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
    void anErrorOfTheCoreIsAnsweredWithTheStatusErrorCodecGivesItsKind() throws Exception {
        backend.failNextCreate(new ResourceExhaustedException("no subnet left"));
        HttpResponse<String> exhausted = http.send(HttpRequest.newBuilder(URI.create(url("/demo/new"))).POST(HttpRequest.BodyPublishers.noBody())
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(exhausted.statusCode()).isEqualTo(503);
        assertThat(exhausted.headers().firstValue(ErrorCodec.KIND_HEADER)).contains("RESOURCE_EXHAUSTED");
        assertThat(exhausted.body()).isEqualTo("cannot create environment: no subnet left\n");
        backend.failNextCreate(new InvalidRequestException("bad limits"));
        HttpResponse<String> invalid = http.send(HttpRequest.newBuilder(URI.create(url("/demo/new"))).POST(HttpRequest.BodyPublishers.noBody())
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(invalid.statusCode()).isEqualTo(400);
        assertThat(invalid.headers().firstValue(ErrorCodec.KIND_HEADER)).contains("INVALID_REQUEST");
        // the proxy's own refusals keep their statuses, without a kind
        HttpResponse<String> unknown = http.send(HttpRequest.newBuilder(URI.create(url("/demo/new?template=nope")))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(unknown.headers().firstValue(ErrorCodec.KIND_HEADER)).isEmpty();
        assertThat(unknown.body()).startsWith("unknown template: nope");
    }

    @Test
    void anInterimContinueIsRelayedAndTheRealAnswerFollows() throws Exception {
        adopt("abc", upstream.getAddress().getPort());
        for (int i = 0; i < 2; i++) { // twice: the kept-alive upstream connection is still in step afterwards
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url("/demo/abc/echo/c" + i))).expectContinue(true)
                    .timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.ofString("123456")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).contains("POST /echo/c" + i, "body=6");
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        adopt("abc", upstream.getAddress().getPort());
        try (Socket s = new Socket("127.0.0.1", proxy.address().getPort())) {
            s.setSoTimeout(10_000);
            // three requests in one write: each must wait for the previous answer, whatever the codec already decoded
            String req = "GET /demo/abc/echo/1 HTTP/1.1\r\nHost: p\r\n\r\n"
                    + "POST /demo/abc/echo/2 HTTP/1.1\r\nHost: p\r\nContent-Length: 3\r\n\r\nabc"
                    + "GET /demo/abc HTTP/1.1\r\nHost: p\r\nConnection: close\r\n\r\n";
            s.getOutputStream().write(req.getBytes(StandardCharsets.US_ASCII));
            String all = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(all.split("HTTP/1.1 200 OK", -1)).hasSize(4);
            assertThat(all.indexOf("GET /echo/1")).isPositive().isLessThan(all.indexOf("POST /echo/2"));
            assertThat(all).contains("body=3");
            assertThat(all.indexOf("\"template\":\"default\"")).isGreaterThan(all.indexOf("POST /echo/2"));
        }
    }

    @Test
    void aServerThatNeverAnswersIsA504AndIdleClientsAreClosed() throws Exception {
        // a loopback listener that never accepts: the kernel completes the connection, nothing ever answers
        try (var silent = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
             ProxyServer quick = new ProxyServer(envs, config.withAnswerTimeout(Duration.ofSeconds(1)).withIdleTimeout(Duration.ofSeconds(1)))) {
            adopt("5107", silent.getLocalPort());
            adopt("abc", upstream.getAddress().getPort());
            String base = "http://127.0.0.1:" + quick.address().getPort();
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/demo/5107/")).timeout(Duration.ofSeconds(20)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(504);
            assertThat(r.body()).contains("did not answer within 1 s");
            assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/demo/abc/echo")).build(), HttpResponse.BodyHandlers.ofString())
                    .statusCode()).isEqualTo(200);

            // a connection that sends nothing, and one that goes quiet after a request, are closed
            try (Socket idle = new Socket("127.0.0.1", quick.address().getPort());
                 Socket used = new Socket("127.0.0.1", quick.address().getPort())) {
                idle.setSoTimeout(10_000);
                used.setSoTimeout(10_000);
                used.getOutputStream().write("GET /demo HTTP/1.1\r\nHost: p\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                long t0 = System.nanoTime();
                assertThat(idle.getInputStream().read()).isEqualTo(-1);
                String answer = new String(used.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(answer).startsWith("HTTP/1.1 200 OK");
                assertThat(System.nanoTime() - t0).isLessThan(TimeUnit.SECONDS.toNanos(9));
            }
        }
    }

    @Test
    void endingAnEnvironmentClosesItsOpenConnections() throws Exception {
        try (Native server = new Native("wsecho")) {
            adopt("cafe", server.port);
            CompletableFuture<String> closed = new CompletableFuture<>();
            CompletableFuture<String> echoed = new CompletableFuture<>();
            WebSocket ws = TestWebSockets.connect(http, URI.create("ws://127.0.0.1:" + proxy.address().getPort() + "/demo/cafe/"),
                    echoed, closed, 10);
            ws.sendText("before", true).get(5, TimeUnit.SECONDS);
            assertThat(echoed.get(5, TimeUnit.SECONDS)).isEqualTo("before");
            // the upstream server lives on (here it is not in a container): only the proxy can end the tunnel
            envs.end("cafe", "test");
            assertThat(closed.get(5, TimeUnit.SECONDS)).isNotEmpty();
            awaitNoUpstream();
            assertThat(new SocketProbe().passes("127.0.0.1", new Readiness.Tcp(server.port))).isTrue();
        }
    }

    /** A test server from src/test/native (wsecho, kahttpd) as a local process on loopback. */
    private final class Native implements AutoCloseable {
        final int port;
        private final Process process;

        Native(String name, String... extra) throws Exception {
            Path bin = tmp.resolve(name);
            if (!java.nio.file.Files.exists(bin)) {
                Process gcc = new ProcessBuilder("gcc", "-O2", "-o", bin.toString(), Path.of("src/test/native/" + name + ".c").toAbsolutePath().toString())
                        .inheritIO().start();
                assertThat(gcc.waitFor()).isZero();
            }
            try (var s = new java.net.ServerSocket(0)) {
                port = s.getLocalPort();
            }
            List<String> cmd = new java.util.ArrayList<>(List.of(bin.toString(), Integer.toString(port), "127.0.0.1"));
            cmd.addAll(List.of(extra));
            process = new ProcessBuilder(cmd).inheritIO().start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (!new SocketProbe().passes("127.0.0.1", new Readiness.Tcp(port))) {
                assertThat(System.nanoTime()).isLessThan(deadline);
                Thread.sleep(20);
            }
        }

        @Override
        public void close() throws InterruptedException {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void upstreamConnectionsAreKeptAliveAndReplacedWhenTheServerClosesThem() throws Exception {
        // kahttpd closes a connection silently after 2 answers, as a server whose keep-alive timeout ran out
        try (Native server = new Native("kahttpd", "2")) {
            adopt("beef", server.port);
            List<String> seen = new java.util.ArrayList<>();
            for (int i = 0; i < 5; i++) {
                HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url("/demo/beef/p" + i)));
                if (i == 1) b.POST(HttpRequest.BodyPublishers.ofString("a body the server discards"));
                HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as("request %d: %s", i, r.body()).isEqualTo(200);
                seen.add(r.body().replaceAll("(?s).*(request \\d+) on this connection.*", "$1"));
                Thread.sleep(50); // lets the server's close arrive (the retry covers the case where it has not)
            }
            // one client connection: the upstream one carries two requests, then a new one takes over
            assertThat(seen).containsExactly("request 1", "request 2", "request 1", "request 2", "request 1");
            awaitUpstreams(1);
        }
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
        Process server = new ProcessBuilder(wsecho.toString(), Integer.toString(port), "127.0.0.1").inheritIO().start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (!new SocketProbe().passes("127.0.0.1", new Readiness.Tcp(port))) {
                assertThat(System.nanoTime()).isLessThan(deadline);
                Thread.sleep(20);
            }
            adopt("aced", port);
            CompletableFuture<String> echoed = new CompletableFuture<>();
            WebSocket ws = TestWebSockets.connect(http, URI.create("ws://127.0.0.1:" + proxy.address().getPort() + "/demo/aced/"),
                    echoed, new CompletableFuture<>(), 10);
            ws.sendText("tunnelled", true).get(5, TimeUnit.SECONDS);
            assertThat(echoed.get(5, TimeUnit.SECONDS)).isEqualTo("tunnelled");
        } finally {
            server.destroyForcibly();
        }
    }
}
