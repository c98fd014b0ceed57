package dev.cloche.daemon.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloche.api.Capacity;
import dev.cloche.api.GardenClient;
import dev.cloche.api.ServiceUnavailableException;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;

/** /healthz over a core whose capacity call works, fails or hangs (a stub core: the layer under test is above it). */
class HealthTest {
    /** A core whose every call but ping and capacity is refused, and whose capacity is {@code capacity}. */
    private static GardenClient core(Callable<Capacity> capacity) {
        return (GardenClient) Proxy.newProxyInstance(GardenClient.class.getClassLoader(), new Class<?>[] {GardenClient.class},
                (p, m, args) -> switch (m.getName()) {
                    case "ping" -> null;
                    case "capacity" -> capacity.call();
                    default -> throw new UnsupportedOperationException(m.getName());
                });
    }

    @Test
    void healthyWhenCapacityAnswers() {
        Health h = new Health(core(() -> new Capacity(1 << 30, 1 << 30, 1 << 30, 10)), Duration.ofSeconds(2));
        assertThat(h.problem()).isEmpty();
    }

    @Test
    void aFailingBackendIsOneLineSayingWhy() {
        Health h = new Health(core(() -> {
            throw new ServiceUnavailableException("runc is gone\nand so is crun");
        }), Duration.ofSeconds(2));
        assertThat(h.problem()).hasValue("backend unusable: runc is gone and so is crun");
    }

    @Test
    void aHangingBackendIsUnhealthyAtTheDeadline() {
        Health h = new Health(core(() -> {
            Thread.sleep(5_000);
            return new Capacity(1, 1, 1, 1);
        }), Duration.ofMillis(200));
        long t0 = System.nanoTime();
        assertThat(h.problem()).hasValue("backend did not answer capacity within 200 ms");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(3));
    }

    @Test
    void healthzAnswers503WithTheReason() throws Exception {
        Health h = new Health(core(() -> {
            throw new ServiceUnavailableException("depot unreadable");
        }), Duration.ofSeconds(2));
        try (DebugListener l = DebugListener.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                new DebugListener.Pages(() -> "{}", () -> "", h::problem))) {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + l.port() + "/healthz")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(503);
            assertThat(r.body()).isEqualTo("backend unusable: depot unreadable\n");
        }
    }

    @Test
    void aPageThatFailsIs500AndTheListenerKeepsServing() throws Exception {
        try (DebugListener l = DebugListener.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                new DebugListener.Pages(() -> {
                    throw new IllegalStateException("broken");
                }, () -> "", Optional::empty))) {
            HttpClient http = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + l.port();
            assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/debug/vars")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(500);
            assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/healthz")).build(),
                    HttpResponse.BodyHandlers.ofString()).body()).isEqualTo("ok\n");
        }
    }
}
