package dev.cloche.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.cloche.api.GardenClient;
import dev.cloche.core.ContainerManager;
import dev.cloche.core.CoreConfig;
import dev.cloche.testkit.FakeBackend;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * How the relay moves requests and answers (no containers: a loopback server as the environment's): deep
 * pipelining, large and chunked bodies both ways, keep-alive, and a slow server that holds up only its own client.
 */
class RelayStreamingTest {
    private final FakeBackend backend = new FakeBackend();
    private GardenClient garden;
    private Environments envs;
    private ProxyServer proxy;
    private HttpServer upstream;
    private final CountDownLatch slowRelease = new CountDownLatch(1);
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeEach
    void setUp() throws IOException {
        upstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        upstream.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        // the SHA-256 of the request body and its length, in a fixed-length answer
        upstream.createContext("/sum", x -> {
            byte[] sum = digest(x.getRequestBody());
            byte[] out = (HexFormat.of().formatHex(sum) + "\n").getBytes(StandardCharsets.US_ASCII);
            x.sendResponseHeaders(200, out.length);
            try (OutputStream o = x.getResponseBody()) {
                o.write(out);
            }
        });
        // ?n bytes of a seeded pseudo-random stream, chunked
        upstream.createContext("/bytes", x -> {
            int n = Integer.parseInt(x.getRequestURI().getQuery());
            x.sendResponseHeaders(200, 0);
            try (OutputStream o = x.getResponseBody()) {
                o.write(randomBytes(n));
            }
        });
        upstream.createContext("/slow", x -> {
            try {
                slowRelease.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            byte[] out = "slow\n".getBytes(StandardCharsets.US_ASCII);
            x.sendResponseHeaders(200, out.length);
            try (OutputStream o = x.getResponseBody()) {
                o.write(out);
            }
        });
        upstream.createContext("/n", x -> {
            byte[] out = (x.getRequestURI().getQuery() + "\n").getBytes(StandardCharsets.US_ASCII);
            x.sendResponseHeaders(200, out.length);
            try (OutputStream o = x.getResponseBody()) {
                o.write(out);
            }
        });
        upstream.start();
        garden = ContainerManager.start(backend, CoreConfig.DEFAULTS);
        ProxyConfig config = ProxyConfig.of(new InetSocketAddress("127.0.0.1", 0), List.of(Template.DEFAULT));
        envs = new Environments(garden, config, (h, p) -> true, Clock.systemUTC());
        proxy = new ProxyServer(envs, config);
        envs.adopt(new Environment("abc", "default", "h-abc", Instant.now(), Instant.now().plus(Duration.ofMinutes(5)),
                "127.0.0.1", upstream.getAddress().getPort()));
    }

    @AfterEach
    void tearDown() {
        slowRelease.countDown();
        upstream.stop(0);
        proxy.close();
        envs.close();
        garden.close();
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + proxy.address().getPort() + "/demo/abc" + path);
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }

    private static byte[] digest(InputStream in) throws IOException {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[65536];
            for (int r; (r = in.read(buf)) > 0; ) d.update(buf, 0, r);
            return d.digest();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String sha(byte[] b) throws IOException {
        return HexFormat.of().formatHex(digest(new java.io.ByteArrayInputStream(b)));
    }

    @Test
    void largeBodiesGoThroughIntactBothWaysFixedLengthAndChunked() throws Exception {
        byte[] up = randomBytes(24 << 20);
        HttpResponse<String> fixed = http.send(HttpRequest.newBuilder(uri("/sum")).POST(HttpRequest.BodyPublishers.ofByteArray(up)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(fixed.statusCode()).isEqualTo(200);
        assertThat(fixed.body().trim()).isEqualTo(sha(up));
        // a body of unknown length: the client sends it chunked
        HttpResponse<String> chunked = http.send(HttpRequest.newBuilder(uri("/sum"))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(up))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(chunked.statusCode()).isEqualTo(200);
        assertThat(chunked.body().trim()).isEqualTo(sha(up));
        // a chunked answer, on the same kept-alive connections
        HttpResponse<byte[]> down = http.send(HttpRequest.newBuilder(uri("/bytes?" + (24 << 20))).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(down.statusCode()).isEqualTo(200);
        assertThat(down.body()).hasSize(24 << 20);
        assertThat(sha(down.body())).isEqualTo(sha(randomBytes(24 << 20)));
    }

    @Test
    void aRequestWithABodyThatAlsoAsksForAProtocolSwitchIsRelayedWithItsBody() throws Exception {
        // Java's default client asks for h2c on its first request over plain HTTP, a POST's too: the server does not
        // switch, so the body must go through as for any request
        byte[] up = randomBytes(4 << 20);
        try (HttpClient h2c = HttpClient.newHttpClient()) {
            for (int i = 0; i < 2; i++) {
                HttpResponse<String> r = h2c.send(HttpRequest.newBuilder(uri("/sum")).timeout(Duration.ofSeconds(20))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(up)).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body().trim()).isEqualTo(sha(up));
            }
        }
    }

    @Test
    void manyPipelinedRequestsWithBodiesAreAnsweredInOrderOnOneConnection() throws Exception {
        // more parts than the backlog holds before reading stops; fewer requests than the codec's pipelining limit (128)
        int n = 100;
        StringBuilder all = new StringBuilder();
        for (int i = 0; i < n; i++) {
            if (i % 3 == 1) {
                all.append("POST /demo/abc/n?").append(i).append(" HTTP/1.1\r\nHost: p\r\nContent-Length: 5\r\n\r\nhello");
            } else if (i % 3 == 2) {
                all.append("POST /demo/abc/n?").append(i).append(" HTTP/1.1\r\nHost: p\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
            } else {
                all.append("GET /demo/abc/n?").append(i).append(" HTTP/1.1\r\nHost: p\r\n\r\n");
            }
        }
        all.append("GET /demo/abc/n?last HTTP/1.1\r\nHost: p\r\nConnection: close\r\n\r\n");
        try (Socket s = new Socket("127.0.0.1", proxy.address().getPort())) {
            s.setSoTimeout(20_000);
            CompletableFuture<byte[]> read = CompletableFuture.supplyAsync(() -> {
                try {
                    return s.getInputStream().readAllBytes();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            s.getOutputStream().write(all.toString().getBytes(StandardCharsets.US_ASCII));
            String answers = new String(read.get(20, TimeUnit.SECONDS), StandardCharsets.US_ASCII);
            List<String> bodies = new ArrayList<>();
            for (String part : answers.split("HTTP/1.1 200 OK\r\n")) {
                if (part.isEmpty()) continue;
                bodies.add(part.substring(part.indexOf("\r\n\r\n") + 4).trim());
            }
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < n; i++) expected.add(Integer.toString(i));
            expected.add("last");
            assertThat(bodies).containsExactlyElementsOf(expected);
        }
        assertThat(proxy.openUpstreams()).isLessThanOrEqualTo(1);
    }

    @Test
    void aSlowServerHoldsUpOnlyItsOwnClient() throws Exception {
        CompletableFuture<HttpResponse<String>> slow = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
                .sendAsync(HttpRequest.newBuilder(uri("/slow")).build(), HttpResponse.BodyHandlers.ofString());
        Thread.sleep(200); // the slow request is in flight on one of the event loops
        long t0 = System.nanoTime();
        // new connections land on every event loop, the slow one's too
        for (int i = 0; i < 20; i++) {
            HttpClient fresh = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            HttpResponse<String> r = fresh.send(HttpRequest.newBuilder(uri("/n?" + i)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.body().trim()).isEqualTo(Integer.toString(i));
            fresh.close();
        }
        assertThat(System.nanoTime() - t0).isLessThan(TimeUnit.SECONDS.toNanos(5));
        assertThat(slow).isNotDone();
        slowRelease.countDown();
        assertThat(slow.get(10, TimeUnit.SECONDS).body()).isEqualTo("slow\n");
    }

    @Test
    void oneClientConnectionKeepsOneUpstreamConnectionForThousandsOfRequests() throws Exception {
        try (Socket s = new Socket("127.0.0.1", proxy.address().getPort())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            for (int i = 0; i < 2000; i++) {
                out.write(("GET /demo/abc/n?" + i + " HTTP/1.1\r\nHost: p\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                assertThat(readAnswer(in)).endsWith("\r\n\r\n" + i + "\n");
            }
            assertThat(proxy.openUpstreams()).isEqualTo(1);
        }
    }

    /** One fixed-length answer from {@code in}. */
    private static String readAnswer(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int length = -1;
        while (true) {
            int c = in.read();
            assertThat(c).isNotNegative();
            b.write(c);
            String s = b.toString(StandardCharsets.US_ASCII);
            if (length < 0 && s.endsWith("\r\n\r\n")) {
                var m = java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)").matcher(s);
                assertThat(m.find()).isTrue();
                length = Integer.parseInt(m.group(1));
                b.write(in.readNBytes(length));
                return b.toString(StandardCharsets.US_ASCII);
            }
        }
    }
}
