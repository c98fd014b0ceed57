package dev.cloche.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpServer;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.NetOutRule;
import dev.cloche.api.PortMapping;
import dev.cloche.spi.BackendContainer;
import dev.cloche.spi.BackendProcess;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Networking, for a backend whose containers get addresses (skipped otherwise). The backend must be configured as
 * Garden usually is: every destination denied (deny-network 0.0.0.0/0) until a NetOut rule allows it.
 */
public interface NetworkConformance extends BackendUnderTest {

    private BackendContainer networked() {
        BackendContainer c = create(ContainerSpec.withHandle(uniqueHandle()));
        assumeFalse(c.info().containerIp().isEmpty(), "the backend reports no networking");
        return c;
    }

    @Test
    default void networkedContainersHaveTheirOwnAddresses() throws Exception {
        BackendContainer a = networked();
        BackendContainer b = create(ContainerSpec.withHandle(uniqueHandle()));
        for (BackendContainer c : List.of(a, b)) {
            for (String ip : List.of(c.info().containerIp(), c.info().hostIp(), c.info().externalIp())) {
                assertThat(ip).matches("\\d{1,3}(\\.\\d{1,3}){3}");
                assertThat(InetAddress.getByName(ip).getHostAddress()).isEqualTo(ip);
            }
            assertThat(c.info().containerIp()).isNotEqualTo(c.info().hostIp());
        }
        assertThat(a.info().containerIp()).isNotEqualTo(b.info().containerIp());
    }

    /** A port mapped with NetIn reaches a server in the container from the host's external address. */
    @Test
    default void netInPublishesAContainerPortOnTheHost() throws Exception {
        assumeTrue(supports(Limitation.NET_IN_AFTER_CREATE), "declared unsupported: UnsupportedConformance checks the refusal");
        BackendContainer c = networked();
        String body = "hello from " + c.handle();
        BackendProcess server = c.run(serveHttp(8080, body).withId("server"));
        PortMapping mapped = c.netIn(0, 8080);
        assertThat(mapped.containerPort()).isEqualTo(8080);
        assertThat(mapped.hostPort()).isPositive();
        assertThat(c.info().mappedPorts()).contains(mapped);
        URI uri = URI.create("http://" + c.info().externalIp() + ":" + mapped.hostPort() + "/");
        assertThat(getWithin(uri, Duration.ofSeconds(20))).isEqualTo(Optional.of(body));
        assertThat(server.exit()).isNotDone();
    }

    /** Denied by default; a rule allows exactly its destination (host and port), and nothing else opens with it. */
    @Test
    default void netOutAllowsExactlyTheListedDestination() throws Exception {
        assumeTrue(supports(Limitation.NET_OUT_RULES), "declared unsupported: UnsupportedConformance checks the refusal");
        BackendContainer c = networked();
        String gateway = c.info().hostIp();
        HttpServer allowed = serve(gateway);
        HttpServer other = serve(gateway);
        try {
            String allowedUrl = "http://" + gateway + ":" + allowed.getAddress().getPort() + "/";
            String otherUrl = "http://" + gateway + ":" + other.getAddress().getPort() + "/";
            assertThat(exitOf(c.run(fetch(allowedUrl).withId("denied")))).as("before any rule").isNotZero();
            c.netOut(List.of(new NetOutRule(NetOutRule.Protocol.TCP, List.of(new NetOutRule.IpRange(gateway, gateway)),
                    List.of(new NetOutRule.PortRange(allowed.getAddress().getPort(), allowed.getAddress().getPort())),
                    Optional.empty(), false)));
            assertThat(exitOf(c.run(fetch(allowedUrl).withId("allowed")))).as("the rule's destination").isZero();
            assertThat(exitOf(c.run(fetch(otherUrl).withId("other")))).as("another port of the same host").isNotZero();
        } finally {
            allowed.stop(0);
            other.stop(0);
        }
    }

    private static HttpServer serve(String ip) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(ip, 0), 0);
        server.createContext("/", x -> {
            byte[] b = "from the host\n".getBytes(StandardCharsets.UTF_8);
            x.sendResponseHeaders(200, b.length);
            try (var o = x.getResponseBody()) {
                o.write(b);
            }
        });
        server.start();
        return server;
    }

    /** The body of the first successful GET (a server may need a moment to listen), or empty after {@code within}. */
    private static Optional<String> getWithin(URI uri, Duration within) throws InterruptedException {
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()) {
            long deadline = System.nanoTime() + within.toNanos();
            while (System.nanoTime() < deadline) {
                try {
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
                            HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() == 200) return Optional.of(r.body());
                } catch (IOException e) {
                    // not listening yet
                }
                Thread.sleep(200);
            }
            return Optional.empty();
        }
    }
}
