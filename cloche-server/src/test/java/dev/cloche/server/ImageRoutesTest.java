package dev.cloche.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloche.api.ImageCatalog;
import dev.cloche.api.ImageInfo;
import dev.cloche.api.ImagePruneReport;
import dev.cloche.api.ImageRef;
import dev.cloche.api.LayerProgress;
import dev.cloche.core.ContainerManager;
import dev.cloche.core.CoreConfig;
import dev.cloche.testkit.FakeBackend;
import dev.cloche.testkit.FakeImages;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Cloche's image routes on the wire, byte by byte, over the real server and core and the fake image store. */
@Timeout(20)
class ImageRoutesTest {
    private final FakeBackend backend = new FakeBackend();
    private final ContainerManager core = ContainerManager.start(backend, CoreConfig.DEFAULTS);
    private GardenServer server = serve(core);

    private GardenServer serve(ImageCatalog images) {
        return GardenServer.start(core, Optional.empty(), Optional.of(images),
                Optional.of(new InetSocketAddress("127.0.0.1", 0)), Optional.empty());
    }

    @AfterEach
    void stop() {
        server.close();
        core.close();
    }

    private String call(String method, String path, String body) {
        InetSocketAddress addr = new InetSocketAddress("127.0.0.1", server.tcpPort().orElseThrow());
        try (RawSocket c = RawSocket.open(addr)) {
            c.send(method + " " + path + " HTTP/1.1\r\nHost: api\r\nConnection: close\r\nContent-Length: "
                    + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body);
            return new String(c.readToEof(), StandardCharsets.UTF_8);
        }
    }

    private static String body(String answer) {
        String raw = answer.substring(answer.indexOf("\r\n\r\n") + 4);
        return answer.contains("Transfer-Encoding: chunked")
                ? new String(RawSocket.dechunk(raw.getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8) : raw;
    }

    @Test
    void listAndPruneAreJson() {
        assertThat(call("GET", "/images", "")).startsWith("HTTP/1.1 200 OK\r\n").contains("Content-Type: application/json")
                .endsWith("\r\n\r\n[]\n");
        core.pullImage(ImageRef.of(FakeImages.BUSYBOX), p -> { });
        assertThat(body(call("GET", "/images", ""))).startsWith("[{\"id\":\"sha256:")
                .contains("\"reference\":\"" + FakeImages.BUSYBOX + "\",\"layers\":2,\"bytes\":" + (1536 << 10) + ",\"holders\":[]");
        assertThat(body(call("POST", "/images/prune", ""))).isEqualTo("{\"images\":1,\"layers\":2,\"bytes\":" + (1536 << 10) + "}\n");
        assertThat(body(call("GET", "/images", ""))).isEqualTo("[]\n");
    }

    @Test
    void aPullStreamsProgressRecordsThenTheImage() {
        String answer = call("POST", "/images/pull", "{\"uri\":\"" + FakeImages.BUSYBOX + "\"}");
        assertThat(answer).startsWith("HTTP/1.1 200 OK\r\n").contains("Content-Type: application/x-ndjson")
                .contains("Transfer-Encoding: chunked");
        List<String> lines = body(answer).lines().toList();
        assertThat(lines.subList(0, lines.size() - 1)).isNotEmpty().allMatch(l -> l.startsWith("{\"progress\":{\"digest\":\"sha256:"));
        assertThat(lines.getFirst()).endsWith(",\"bytes\":0,\"cached\":false,\"done\":false}}");
        assertThat(lines.getLast()).startsWith("{\"image\":{\"id\":\"sha256:").contains("\"layers\":2");
        assertThat(lines).filteredOn(l -> l.contains("\"done\":true")).hasSize(2);
    }

    @Test
    void aPullThatFailsBeforeItsFirstRecordIsAnOrdinaryErrorAnswer() {
        assertThat(call("POST", "/images/pull", "{\"uri\":\"\"}")).startsWith("HTTP/1.1 400 Bad Request\r\n")
                .contains("X-Cloche-Error-Kind: INVALID_REQUEST").contains("Content-Length:").doesNotContain("chunked");
        assertThat(call("POST", "/images/pull", "{\"uri\":7}")).startsWith("HTTP/1.1 400 ");
        assertThat(call("POST", "/images/pull", "{\"uri\":\"docker:///fake/nothing#1\"}")).startsWith("HTTP/1.1 400 ")
                .contains("the fake registry has no image docker:///fake/nothing#1");
    }

    @Test
    void aPullThatFailsAfterItsFirstRecordEndsWithAnErrorRecord() {
        String answer = call("POST", "/images/pull", "{\"uri\":\"" + FakeImages.BROKEN + "\"}");
        assertThat(answer).startsWith("HTTP/1.1 200 OK\r\n");
        List<String> lines = body(answer).lines().toList();
        assertThat(lines.getFirst()).startsWith("{\"progress\":");
        assertThat(lines.getLast()).isEqualTo("{\"error\":{\"Type\":\"ServiceUnavailableError\",\"Message\":"
                + "\"fake registry went away while sending broken-2\",\"Handle\":\"\",\"ProcessID\":\"\",\"Binary\":\"\","
                + "\"Kind\":\"SERVICE_UNAVAILABLE\"}}");
    }

    @Test
    void anInternalFailureAfterTheHeadIsAnInternalErrorRecord() {
        server.close();
        server = serve(new ImageCatalog() {
            @Override
            public List<ImageInfo> images() {
                return List.of();
            }

            @Override
            public ImagePruneReport pruneImages() {
                return ImagePruneReport.NONE;
            }

            @Override
            public ImageInfo pullImage(ImageRef ref, Consumer<LayerProgress> progress) {
                progress.accept(LayerProgress.started("sha256:x", 10));
                throw new IllegalStateException("disk on fire");
            }
        });
        List<String> lines = body(call("POST", "/images/pull", "{\"uri\":\"docker:///x\"}")).lines().toList();
        assertThat(lines).hasSize(2);
        assertThat(lines.getLast()).startsWith("{\"error\":{\"Type\":\"\",\"Message\":\"disk on fire\"").endsWith("\"Kind\":\"INTERNAL\"}}");
    }

    @Test
    void theImageRoutesKnowTheirMethodsAndAreAbsentWithoutACatalog() {
        assertThat(call("GET", "/images/pull", "")).startsWith("HTTP/1.1 405 ").contains("Allow: POST");
        assertThat(call("GET", "/images/nope", "")).startsWith("HTTP/1.1 404 ");
        try (GardenServer plain = GardenServer.start(core, Optional.of(new InetSocketAddress("127.0.0.1", 0)), Optional.empty())) {
            GardenServer images = server;
            server = plain;
            try {
                assertThat(call("GET", "/images", "")).startsWith("HTTP/1.1 404 Not Found\r\n").endsWith("404 page not found\n");
            } finally {
                server = images;
            }
        }
    }

    @Test
    void aPasswordNeverReachesTheLog() {
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            call("POST", "/images/pull", "{\"uri\":\"" + FakeImages.BUSYBOX + "\",\"username\":\"u\",\"password\":\"hunter2-secret\"}");
            call("POST", "/images/pull", "{\"uri\":\"" + FakeImages.BROKEN + "\",\"username\":\"u\",\"password\":\"hunter2-secret\"}");
            call("POST", "/images/pull", "{\"uri\":\"docker:///nothing\",\"username\":\"u\",\"password\":\"hunter2-secret\"}");
        } finally {
            System.setErr(err);
        }
        String log = captured.toString(StandardCharsets.UTF_8);
        assertThat(log).contains("route=IMAGES_PULL").contains("pulled image uri=" + FakeImages.BUSYBOX)
                .doesNotContain("hunter2-secret");
    }
}
