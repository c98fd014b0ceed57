package dev.cloche.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.cloche.api.Container;
import dev.cloche.api.ContainerInfo;
import dev.cloche.api.GardenClient;
import dev.cloche.core.ContainerManager;
import dev.cloche.core.CoreConfig;
import dev.cloche.testkit.FakeBackend;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.reflect.InvocationTargetException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Requests to an environment still starting, over the real relay: the core over the fake backend (its containers
 * given the loopback address), a loopback server as the environment's, a readiness check the test opens.
 */
class StartingRelayTest {
    private final FakeBackend backend = new FakeBackend();
    private GardenClient garden;
    private Environments envs;
    private ProxyServer proxy;
    private HttpServer upstream;
    private volatile boolean ready;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeEach
    void setUp() throws IOException {
        upstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        upstream.createContext("/", x -> {
            byte[] out = ("served " + x.getRequestMethod() + " " + x.getRequestURI() + " body="
                    + x.getRequestBody().readAllBytes().length).getBytes(StandardCharsets.UTF_8);
            x.sendResponseHeaders(200, out.length);
            try (OutputStream o = x.getResponseBody()) {
                o.write(out);
            }
        });
        upstream.start();
        garden = ContainerManager.start(backend, CoreConfig.DEFAULTS);
        Template t = Template.DEFAULT.withCommand(List.of("sleep")).withPort(upstream.getAddress().getPort())
                .withReadyTimeout(Duration.ofSeconds(20));
        ProxyConfig config = ProxyConfig.of(new InetSocketAddress("127.0.0.1", 0), List.of(t)).withStartingWait(Duration.ofSeconds(5));
        envs = new Environments(loopbackAddressed(garden), config, (host, check) -> ready, Clock.systemUTC());
        proxy = new ProxyServer(envs, config);
    }

    @AfterEach
    void tearDown() {
        proxy.close();
        envs.close();
        garden.close();
        upstream.stop(0);
    }

    private String url(String path) {
        return "http://127.0.0.1:" + proxy.address().getPort() + path;
    }

    private CompletableFuture<HttpResponse<String>> async(HttpRequest r) {
        return http.sendAsync(r, HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void requestsWaitForTheReadinessCheckThenAreRelayed() throws Exception {
        var created = async(HttpRequest.newBuilder(URI.create(url("/demo/new"))).POST(HttpRequest.BodyPublishers.noBody()).build());
        String id = awaitStarting();
        var get = async(HttpRequest.newBuilder(URI.create(url("/demo/" + id + "/a?b=1"))).build());
        var post = async(HttpRequest.newBuilder(URI.create(url("/demo/" + id + "/up")))
                .POST(HttpRequest.BodyPublishers.ofString("x".repeat(100_000))).build());
        Thread.sleep(300);
        assertThat(List.of(created, get, post)).as("nothing answered before the check passes").noneMatch(CompletableFuture::isDone);
        ready = true;
        assertThat(created.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(201);
        HttpResponse<String> g = get.get(10, TimeUnit.SECONDS);
        assertThat(g.statusCode()).isEqualTo(200);
        assertThat(g.body()).isEqualTo("served GET /a?b=1 body=0");
        HttpResponse<String> p = post.get(10, TimeUnit.SECONDS);
        assertThat(p.statusCode()).isEqualTo(200);
        assertThat(p.body()).as("the body that arrived while it waited went through whole").isEqualTo("served POST /up body=100000");
        // each use ends on the event loop right after its answer's last write: within moments of the client having it
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (envs.activity(id).inUse() != 0 && System.nanoTime() < deadline) Thread.sleep(5);
        assertThat(envs.activity(id).inUse()).as("every use ended").isZero();
    }

    @Test
    void aRequestThatWaitsTooLongGets503WithRetryAfter() throws Exception {
        proxy.close();
        envs.close();
        Template t = Template.DEFAULT.withCommand(List.of("sleep")).withPort(upstream.getAddress().getPort())
                .withReadyTimeout(Duration.ofSeconds(20));
        ProxyConfig config = ProxyConfig.of(new InetSocketAddress("127.0.0.1", 0), List.of(t)).withStartingWait(Duration.ofMillis(300));
        envs = new Environments(loopbackAddressed(garden), config, (host, check) -> ready, Clock.systemUTC());
        proxy = new ProxyServer(envs, config);
        var created = async(HttpRequest.newBuilder(URI.create(url("/demo/new"))).POST(HttpRequest.BodyPublishers.noBody()).build());
        String id = awaitStarting();
        long t0 = System.nanoTime();
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url("/demo/" + id + "/"))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.headers().firstValue("retry-after")).hasValue("1");
        assertThat(r.body()).contains("is starting");
        assertThat(System.nanoTime() - t0).as("waited the starting wait").isGreaterThan(TimeUnit.MILLISECONDS.toNanos(250));
        // the same connection is served once it is ready
        ready = true;
        assertThat(created.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(201);
        assertThat(http.send(HttpRequest.newBuilder(URI.create(url("/demo/" + id + "/"))).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
    }

    @Test
    void aRequestWaitingForAStartThatEndsIsToldWhy() throws Exception {
        var created = async(HttpRequest.newBuilder(URI.create(url("/demo/new"))).POST(HttpRequest.BodyPublishers.noBody()).build());
        String id = awaitStarting();
        var get = async(HttpRequest.newBuilder(URI.create(url("/demo/" + id + "/"))).build());
        Thread.sleep(200);
        assertThat(http.send(HttpRequest.newBuilder(URI.create(url("/demo/" + id))).DELETE().build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(204);
        HttpResponse<String> g = get.get(10, TimeUnit.SECONDS);
        assertThat(g.statusCode()).isEqualTo(503);
        assertThat(g.body()).contains("failed to start", "ended while it was starting");
        assertThat(created.get(10, TimeUnit.SECONDS).statusCode()).isIn(410, 502);
        assertThat(backend.liveHandles()).isEmpty();
    }

    private String awaitStarting() throws InterruptedException {
        for (int i = 0; i < 500; i++) {
            Optional<Environment> e = envs.list().stream().findFirst();
            if (e.isPresent()) {
                assertThat(envs.lookup(e.get().id())).isInstanceOf(Environments.Lookup.Starting.class);
                return e.get().id();
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no environment listed while starting");
    }

    /** The core, but its containers report the address 127.0.0.1 (the fake backend's have none). */
    private static GardenClient loopbackAddressed(GardenClient garden) {
        return (GardenClient) java.lang.reflect.Proxy.newProxyInstance(StartingRelayTest.class.getClassLoader(),
                new Class<?>[] {GardenClient.class}, (p, m, args) -> {
                    Object r = call(garden, m, args);
                    return r instanceof Container c ? withLoopback(c) : r;
                });
    }

    private static Container withLoopback(Container c) {
        return (Container) java.lang.reflect.Proxy.newProxyInstance(StartingRelayTest.class.getClassLoader(),
                new Class<?>[] {Container.class}, (p, m, args) -> {
                    Object r = call(c, m, args);
                    if (!(r instanceof ContainerInfo i)) return r;
                    return new ContainerInfo(i.state(), i.events(), i.hostIp(), "127.0.0.1", i.containerIpv6(), i.externalIp(),
                            i.containerPath(), i.processIds(), i.properties(), i.mappedPorts());
                });
    }

    private static Object call(Object target, java.lang.reflect.Method m, Object[] args) throws Throwable {
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
