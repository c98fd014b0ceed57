package dev.cloche.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloche.api.ContainerSpec;
import dev.cloche.core.ContainerManager;
import dev.cloche.core.CoreConfig;
import dev.cloche.testkit.FakeBackend;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code GET /events} on the wire: the stream's head and lines, refusals, and a server without the route. */
@Timeout(20)
class EventRouteTest {
    private final ContainerManager core = ContainerManager.start(new FakeBackend(), CoreConfig.DEFAULTS);
    private final GardenServer withEvents = GardenServer.builder(core).events(core)
            .tcp(new InetSocketAddress("127.0.0.1", 0)).start();
    private final GardenServer without = GardenServer.builder(core).tcp(new InetSocketAddress("127.0.0.1", 0)).start();

    @AfterEach
    void stop() {
        withEvents.close();
        without.close();
        core.close();
    }

    private static String call(GardenServer server, String method, String target) {
        try (RawSocket c = RawSocket.open(new InetSocketAddress("127.0.0.1", server.tcpPort().orElseThrow()))) {
            c.send(method + " " + target + " HTTP/1.1\r\nHost: api\r\nConnection: close\r\n\r\n");
            return new String(c.readToEof(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void aReplayStreamsNewlineDelimitedJsonAndAnUnknownRouteStays404() {
        core.create(ContainerSpec.withHandle("a"));
        core.create(ContainerSpec.withHandle("b"));
        core.destroy("b");
        try (RawSocket c = RawSocket.open(new InetSocketAddress("127.0.0.1", withEvents.tcpPort().orElseThrow()))) {
            c.send("GET /events?since=0&handle=b HTTP/1.1\r\nHost: api\r\n\r\n");
            RawSocket.Head head = c.readHead();
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.header("Content-Type")).isEqualTo("application/x-ndjson");
            assertThat(head.header("Transfer-Encoding")).isEqualTo("chunked");
            StringBuilder lines = new StringBuilder();
            while (!lines.toString().contains("container-destroyed")) {
                lines.append(c.readLine()).append('\n');
            }
            assertThat(lines.toString()).contains("\"seq\":2,").contains("\"type\":\"container-created\",\"handle\":\"b\"")
                    .doesNotContain("\"handle\":\"a\"");
        }
        // Garden's answer for a route it does not have, byte for byte, when events are not served
        String absent = call(without, "GET", "/events");
        String unknown = call(without, "GET", "/no-such-route");
        assertThat(absent).startsWith("HTTP/1.1 404 ");
        assertThat(absent.replaceAll("Date: .*\r\n", "")).isEqualTo(unknown.replaceAll("Date: .*\r\n", ""));
    }

    @Test
    void refusalsAreErrorAnswersBeforeTheStream() {
        assertThat(call(withEvents, "POST", "/events")).startsWith("HTTP/1.1 405 ").contains("Allow: GET");
        assertThat(call(withEvents, "GET", "/events?since=yesterday")).startsWith("HTTP/1.1 400 ")
                .contains("sequence number or an ISO-8601 time");
    }
}
