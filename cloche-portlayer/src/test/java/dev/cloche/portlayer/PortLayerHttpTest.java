package dev.cloche.portlayer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.AlreadyExistsException;
import dev.cloche.api.ConflictException;
import dev.cloche.api.ContainerNotFoundException;
import dev.cloche.api.GardenClient;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.PortLayer;
import dev.cloche.api.PortLayer.RunState;
import dev.cloche.api.ProcessNotFoundException;
import dev.cloche.api.Signal;
import dev.cloche.client.RemoteGardenClient;
import dev.cloche.client.RemotePortLayer;
import dev.cloche.core.ContainerManager;
import dev.cloche.core.CoreConfig;
import dev.cloche.server.GardenServer;
import dev.cloche.testkit.FakeBackend;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The port layer over HTTP: real server, real client (and a plain HTTP client for ETag/If-Match), fake backend. */
class PortLayerHttpTest {
    private final FakeBackend backend = new FakeBackend();
    private final ContainerManager core = ContainerManager.start(backend, CoreConfig.DEFAULTS);
    private final GardenServer server = GardenServer.start(core, Optional.of(new CorePortLayer(core, core)),
            Optional.of(new InetSocketAddress("127.0.0.1", 0)), Optional.empty());
    private final int port = server.tcpPort().orElseThrow();
    private final PortLayer remote = RemotePortLayer.tcp("127.0.0.1", port);
    private final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void close() {
        http.close();
        server.close();
        core.close();
    }

    private HttpResponse<String> send(String method, String path, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .method(method, body.isEmpty() ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    @Test
    void theWholeModelThroughTheJavaClient() {
        PortLayer.Committed c = remote.commit(remote.createContainer("web").withEntryPoint("/", "sleep", List.of("1 2"))
                .withMemoryLimit(32 << 20).withCpuShares(100).withFile("/etc/a", 0600, "A".getBytes())
                .withProperty("owner", "me").withRunState(RunState.RUNNING));
        assertThat(c).isEqualTo(new PortLayer.Committed("web", 2));
        PortLayer.Config cfg = remote.config("web");
        assertThat(cfg.entryPoint()).contains(new PortLayer.EntryPoint("/", "sleep", List.of("1 2")));
        assertThat(cfg.memoryLimit()).isEqualTo(32 << 20);
        assertThat(cfg.cpuShares()).isEqualTo(100);
        assertThat(cfg.properties()).isEqualTo(Map.of("owner", "me"));
        assertThat(remote.copyOut("web", "/etc/a").content()).isEqualTo("A".getBytes());
        assertThat(remote.copyOut("web", "/etc/a").mode()).isEqualTo(0600);
        assertThat(remote.containers(Optional.of(RunState.RUNNING))).containsExactly("web");
        assertThat(remote.containers(Optional.empty())).containsExactly("web");
        assertThat(remote.state("web").main().status()).isEqualTo(PortLayer.ProcessStatus.RUNNING);

        String pid = remote.execProcess("web", "", "sleep", List.of());
        assertThat(remote.state("web").execs()).extracting(PortLayer.ProcessState::id).containsExactly(pid);
        remote.signal(pid, Signal.KILL);
        assertThat(remote.state("web").execs().getFirst().exitCode()).hasValue(137);
        assertThatThrownBy(() -> remote.signal("nope", Signal.KILL)).isInstanceOf(ProcessNotFoundException.class);

        PortLayer.Handle a = remote.getHandle("web").withProperty("x", "1");
        PortLayer.Handle b = remote.getHandle("web").withProperty("y", "2");
        remote.commit(a);
        assertThatThrownBy(() -> remote.commit(b)).isInstanceOf(ConflictException.class).hasMessageContaining("version");
        remote.commit(remote.getHandle("web").withProperty("y", "2"));
        assertThat(remote.config("web").properties()).containsEntry("x", "1").containsEntry("y", "2");

        assertThatThrownBy(() -> remote.commit(remote.createContainer("web"))).isInstanceOf(AlreadyExistsException.class);
        assertThatThrownBy(() -> remote.destroyContainer("web")).isInstanceOf(ConflictException.class);
        remote.commit(remote.getHandle("web").withRunState(RunState.STOPPED));
        remote.destroyContainer("web");
        assertThatThrownBy(() -> remote.config("web")).isInstanceOf(ContainerNotFoundException.class);
    }

    @Test
    void gardenAndPortLayerSeeTheSameContainers() {
        try (GardenClient garden = RemoteGardenClient.tcp("127.0.0.1", port)) {
            garden.create(dev.cloche.api.ContainerSpec.withHandle("from-garden"));
            assertThat(remote.containers(Optional.of(RunState.STOPPED))).containsExactly("from-garden");
            remote.commit(remote.getHandle("from-garden").withProperty("k", "v"));
            assertThat(garden.lookup("from-garden").property("k")).isEqualTo("v");
            remote.commit(remote.createContainer("from-pl"));
            assertThat(garden.containers(Map.of()).stream().map(dev.cloche.api.Container::handle))
                    .containsExactlyInAnyOrder("from-garden", "from-pl");
        }
    }

    @Test
    void versionsTravelAsETagAndIfMatch() throws Exception {
        HttpResponse<String> created = send("PUT", "/portlayer/containers/e1", "{\"set_properties\":{\"a\":\"1\"}}",
                "If-None-Match", "*");
        assertThat(created.statusCode()).isEqualTo(200);
        assertThat(created.headers().firstValue("ETag")).contains("\"2\"");
        assertThat(created.body()).isEqualTo("{\"id\":\"e1\",\"version\":2}\n");

        HttpResponse<String> cfg = send("GET", "/portlayer/containers/e1", "");
        assertThat(cfg.headers().firstValue("ETag")).contains("\"2\"");
        assertThat(cfg.body()).contains("\"properties\":{\"a\":\"1\"}");

        HttpResponse<String> ok = send("PUT", "/portlayer/containers/e1", "{\"set_properties\":{\"b\":\"2\"}}", "If-Match", "\"2\"");
        assertThat(ok.headers().firstValue("ETag")).contains("\"3\"");
        HttpResponse<String> stale = send("PUT", "/portlayer/containers/e1", "{\"set_properties\":{\"c\":\"3\"}}", "If-Match", "\"2\"");
        assertThat(stale.statusCode()).isEqualTo(409);
        assertThat(stale.headers().firstValue("X-Cloche-Error-Kind")).contains("CONFLICT");
        assertThat(stale.body()).contains("version conflict");
        HttpResponse<String> unconditional = send("PUT", "/portlayer/containers/e1", "{}");
        assertThat(unconditional.statusCode()).isEqualTo(400);
        assertThat(send("PUT", "/portlayer/containers/e1", "{}", "If-Match", "3").statusCode()).isEqualTo(400);
        assertThat(send("PUT", "/portlayer/containers/e1", "{\"run_state\":\"FLYING\"}", "If-Match", "\"3\"").statusCode())
                .isEqualTo(400);
        assertThat(send("GET", "/portlayer/containers/e1/handle", "").headers().firstValue("ETag")).contains("\"3\"");
        assertThat(send("GET", "/portlayer/nothing-here", "").statusCode()).isEqualTo(404);
        assertThat(send("POST", "/portlayer/containers/e1", "").statusCode()).isEqualTo(405);
        assertThat(core.lookup("e1").properties()).isEqualTo(Map.of("a", "1", "b", "2"));
        // Garden's own routes are untouched
        assertThat(send("GET", "/ping", "").statusCode()).isEqualTo(200);
    }

    @Test
    void badInputIsAnInvalidRequest() {
        assertThatThrownBy(() -> remote.copyOut("nope", "/x")).isInstanceOf(ContainerNotFoundException.class);
        remote.commit(remote.createContainer("b"));
        assertThatThrownBy(() -> remote.commit(remote.getHandle("b").withProperty("portlayer.x", "y")))
                .isInstanceOf(InvalidRequestException.class);
    }
}
