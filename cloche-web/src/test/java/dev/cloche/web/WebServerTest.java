package dev.cloche.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.ContainerSpec;
import dev.cloche.core.ContainerManager;
import dev.cloche.core.CoreConfig;
import dev.cloche.testkit.FakeBackend;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The listener over a real socket: cookies and headers as a browser sees them, and the terminal's websocket. */
class WebServerTest {
    private static final String TOKEN = "fedcba9876543210fedcba9876543210";

    private final FakeBackend backend = new FakeBackend();
    private final ContainerManager core = ContainerManager.start(backend, CoreConfig.DEFAULTS);
    private final WebServer server = WebServer.start(new InetSocketAddress("127.0.0.1", 0), Optional.empty(),
            new WebRouter(new WebSessions(TOKEN, Duration.ofHours(1), Clock.systemUTC()), core, Optional.empty(), Optional.empty()), core);
    private final HttpClient http = HttpClient.newHttpClient();
    private final String base = "http://127.0.0.1:" + server.address().getPort();

    @AfterEach
    void close() {
        http.close();
        server.close();
        core.close();
    }

    private String login() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/login?token=" + TOKEN)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        String set = r.headers().firstValue("set-cookie").orElseThrow();
        assertThat(set).contains("HttpOnly", "SameSite=Strict", "Path=/");
        return set.substring(0, set.indexOf(';'));
    }

    @Test
    void servesThePageOnlyToASessionWithStrictHeaders() throws Exception {
        HttpResponse<String> refused = http.send(HttpRequest.newBuilder(URI.create(base + "/")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(refused.statusCode()).isEqualTo(401);
        assertThat(refused.body()).contains("login token");
        String cookie = login();
        HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(base + "/")).header("Cookie", cookie).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("<script src=\"/vendor/xterm.js\">");
        assertThat(page.headers().firstValue("content-security-policy").orElseThrow()).contains("default-src 'self'", "frame-ancestors 'none'");
        assertThat(page.headers().firstValue("x-frame-options")).hasValue("DENY");
        HttpResponse<String> xterm = http.send(HttpRequest.newBuilder(URI.create(base + "/vendor/xterm.js")).header("Cookie", cookie).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(xterm.body()).contains("Terminal");
    }

    @Test
    void aTerminalRunsACommandAndEndsWithItsExitStatus() throws Exception {
        String cookie = login();
        core.create(ContainerSpec.withHandle("t"));
        Frames frames = new Frames();
        WebSocket ws = http.newWebSocketBuilder().header("Cookie", cookie).header("Origin", base)
                .buildAsync(URI.create("ws://127.0.0.1:" + server.address().getPort()
                        + "/api/containers/t/terminal?cmd=echo%20hi;%20exit%203&cols=100&rows=30"), frames)
                .get(10, TimeUnit.SECONDS);
        frames.closed.get(10, TimeUnit.SECONDS);
        assertThat(frames.output.toString()).contains("hi");
        assertThat(frames.texts).anyMatch(t -> t.contains("\"type\":\"started\""));
        assertThat(frames.texts.getLast()).isEqualTo("{\"type\":\"exit\",\"status\":3}");
        ws.abort();
    }

    @Test
    void aTerminalTakesInputAndAnUnknownContainerIsATypedError() throws Exception {
        String cookie = login();
        core.create(ContainerSpec.withHandle("c"));
        Frames frames = new Frames();
        WebSocket ws = http.newWebSocketBuilder().header("Cookie", cookie).header("Origin", base)
                .buildAsync(URI.create("ws://127.0.0.1:" + server.address().getPort() + "/api/containers/c/terminal?cmd=cat"), frames)
                .get(10, TimeUnit.SECONDS);
        ws.sendText("{\"type\":\"input\",\"data\":\"typed\\n\"}", true).get();
        ws.sendText("{\"type\":\"resize\",\"cols\":120,\"rows\":40}", true).get();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> frames.output.toString().contains("typed"));
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get();

        Frames missing = new Frames();
        http.newWebSocketBuilder().header("Cookie", cookie).header("Origin", base)
                .buildAsync(URI.create("ws://127.0.0.1:" + server.address().getPort() + "/api/containers/nope/terminal"), missing)
                .get(10, TimeUnit.SECONDS);
        missing.closed.get(10, TimeUnit.SECONDS);
        assertThat(missing.texts).anyMatch(t -> t.contains("\"kind\":\"CONTAINER_NOT_FOUND\""));
    }

    @Test
    void attachesToARunningProcessAndSeesItsOutputFromTheFirstByte() throws Exception {
        String cookie = login();
        dev.cloche.api.Container c = core.create(ContainerSpec.withHandle("a"));
        SocketInput held = new SocketInput(); // the first caller's stdin stays open: cat keeps running
        dev.cloche.api.Process first = c.run(dev.cloche.api.ProcessSpec.of("sh", "-c", "echo early; cat").withId("p1"),
                new dev.cloche.api.ProcessIO(Optional.of(held), Optional.empty(), Optional.empty()));
        first.close(); // detached: the process runs on
        Frames frames = new Frames();
        WebSocket ws = http.newWebSocketBuilder().header("Cookie", cookie).header("Origin", base)
                .buildAsync(URI.create("ws://127.0.0.1:" + server.address().getPort() + "/api/containers/a/terminal?attach=p1"), frames)
                .get(10, TimeUnit.SECONDS);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> frames.output.toString().contains("early"));
        assertThat(frames.texts).contains("{\"type\":\"started\",\"id\":\"p1\"}");
        ws.abort();
        held.close();
    }

    @Test
    void aTerminalNeedsASessionAndThisServersOrigin() throws Exception {
        String cookie = login();
        core.create(ContainerSpec.withHandle("o"));
        URI uri = URI.create("ws://127.0.0.1:" + server.address().getPort() + "/api/containers/o/terminal");
        for (var builder : List.of(
                http.newWebSocketBuilder().header("Cookie", cookie).header("Origin", "http://evil.example"),
                http.newWebSocketBuilder().header("Origin", base),
                http.newWebSocketBuilder().header("Cookie", "cloche_session=guess").header("Origin", base))) {
            assertThatThrownBy(() -> builder.buildAsync(uri, new Frames()).get(10, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(WebSocketHandshakeException.class);
        }
        assertThat(backend.container("o").processIds()).isEmpty();
    }

    /** Collects a socket's frames: binary as output, text as control messages. */
    private static final class Frames implements WebSocket.Listener {
        final ByteArrayOutputStream output = new ByteArrayOutputStream();
        final List<String> texts = new CopyOnWriteArrayList<>();
        final CompletableFuture<Integer> closed = new CompletableFuture<>();
        private final StringBuilder text = new StringBuilder();

        @Override
        public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
            byte[] b = new byte[data.remaining()];
            data.get(b);
            synchronized (output) {
                output.writeBytes(b);
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                texts.add(text.toString());
                text.setLength(0);
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int status, String reason) {
            closed.complete(status);
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            closed.completeExceptionally(error);
        }
    }
}
