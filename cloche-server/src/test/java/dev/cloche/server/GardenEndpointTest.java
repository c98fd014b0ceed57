package dev.cloche.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.cloche.api.ContainerNotFoundException;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.Process;
import dev.cloche.api.ProcessIO;
import dev.cloche.api.ProcessNotFoundException;
import dev.cloche.core.ContainerManager;
import dev.cloche.core.CoreConfig;
import dev.cloche.testkit.FakeBackend;
import dev.cloche.wire.ErrorCodec;
import dev.cloche.wire.Route;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Garden's routes as calls, without Netty: Route.Found + query + body in, an Answer (or a stream) out. */
@Timeout(20)
class GardenEndpointTest {
    private final FakeBackend backend = new FakeBackend();
    private final ContainerManager core = ContainerManager.start(backend, CoreConfig.DEFAULTS);
    private final GardenEndpoint endpoint = new GardenEndpoint(core);

    @AfterEach
    void close() {
        core.close();
    }

    private static Route.Found route(String method, String path) {
        return (Route.Found) Route.match(method, path);
    }

    private Answer call(String method, String path, Map<String, String> query, String body) {
        return endpoint.handle(route(method, path), query, body);
    }

    private Answer call(String method, String path, String body) {
        return call(method, path, Map.of(), body);
    }

    @Test
    void pingAndCreateAnswerGardensJson() {
        assertThat(call("GET", "/ping", "")).isEqualTo(new Answer(200, Answer.JSON, Map.of(), "{}\n"));
        Answer created = call("POST", "/containers", "{\"handle\":\"h\",\"properties\":{\"owner\":\"me\"}}");
        assertThat(created.status()).isEqualTo(200);
        assertThat(created.body()).isEqualTo("{\"Handle\":\"h\"}\n");
        assertThat(backend.liveHandles()).containsExactly("h");
    }

    @Test
    void listFiltersByEveryQueryParameterAndBulkInfoSplitsHandles() {
        call("POST", "/containers", "{\"handle\":\"a\",\"properties\":{\"owner\":\"me\"}}");
        call("POST", "/containers", "{\"handle\":\"b\"}");
        assertThat(call("GET", "/containers", Map.of("owner", "me"), "").body()).isEqualTo("{\"Handles\":[\"a\"]}\n");
        String bulk = call("GET", "/containers/bulk_info", Map.of("handles", "a,missing"), "").body();
        assertThat(bulk).contains("\"a\":{\"Info\":").contains("\"missing\":{").contains("ContainerNotFoundError");
        assertThat(call("GET", "/containers/bulk_info", Map.of(), "").body()).isEqualTo("{}\n");
    }

    @Test
    void propertiesGraceTimeNetInAndLimitsGoToTheContainer() {
        call("POST", "/containers", "{\"handle\":\"p\",\"limits\":{\"memory_limits\":{\"limit_in_bytes\":67108864}}}");
        call("PUT", "/containers/p/properties/color", "{\"value\":\"blue\"}");
        assertThat(call("GET", "/containers/p/properties/color", "").body()).isEqualTo("{\"value\":\"blue\"}\n");
        assertThat(call("GET", "/containers/p/properties", "").body()).isEqualTo("{\"color\":\"blue\"}\n");
        call("DELETE", "/containers/p/properties/color", "");
        assertThat(core.lookup("p").properties()).isEmpty();
        assertThat(call("PUT", "/containers/p/grace_time", "90000000000").body()).isEqualTo("{}\n");
        assertThat(call("POST", "/containers/p/net/in", "{\"handle\":\"p\",\"container_port\":8080}").body())
                .isEqualTo("{\"host_port\":61001,\"container_port\":8080}\n");
        assertThat(call("GET", "/containers/p/limits/memory", "").body()).isEqualTo("{\"limit_in_bytes\":67108864}\n");
        call("PUT", "/containers/p/stop", "{\"kill\":true}");
        assertThat(call("GET", "/containers/p/info", "").body()).contains("\"State\":\"stopped\"");
    }

    @Test
    void failuresAreThrownAsTheyComeAndAnswerErrorTurnsThemIntoGardensErrorAnswer() {
        Throwable missing = catchThrowable(() -> call("GET", "/containers/nope/info", ""));
        assertThat(missing).isInstanceOf(ContainerNotFoundException.class);
        Answer error = Answer.error(missing);
        assertThat(error.status()).isEqualTo(404);
        assertThat(error.headers()).containsEntry(ErrorCodec.KIND_HEADER, "CONTAINER_NOT_FOUND");
        assertThat(error.body()).isEqualTo(
                "{\"Type\":\"ContainerNotFoundError\",\"Message\":\"unknown handle: nope\",\"Handle\":\"nope\",\"ProcessID\":\"\",\"Binary\":\"\"}\n");
        assertThatThrownBy(() -> call("POST", "/containers", "{\"handle\": nope")).isInstanceOf(InvalidRequestException.class);
        assertThat(Answer.error(new IllegalStateException("boom")).status()).isEqualTo(500);
    }

    @Test
    void streamedRoutesAreNotJsonCalls() {
        assertThatThrownBy(() -> call("PUT", "/containers/h/files", "")).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> call("POST", "/containers/h/processes", "")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void streamInThenStreamOutRoundTripsTheTar() throws Exception {
        call("POST", "/containers", "{\"handle\":\"f\"}");
        byte[] tar = "not really a tar".getBytes(StandardCharsets.UTF_8);
        assertThat(endpoint.streamIn(route("PUT", "/containers/f/files"), Map.of("destination", "/data", "user", "root"),
                new ByteArrayInputStream(tar)).body()).isEqualTo("{}\n");
        try (InputStream out = endpoint.streamOut(route("GET", "/containers/f/files"), Map.of("source", "/data"))) {
            assertThat(out.readAllBytes()).isEqualTo(tar);
        }
    }

    @Test
    void runAndAttachAreDecodedThenStarted() {
        call("POST", "/containers", "{\"handle\":\"r\"}");
        GardenEndpoint.ProcessStart run = endpoint.processStart(route("POST", "/containers/r/processes"),
                "{\"id\":\"e1\",\"path\":\"echo\",\"args\":[\"hi\"],\"rlimits\":{},\"image\":{}}");
        assertThat(run).isInstanceOfSatisfying(GardenEndpoint.Run.class, r -> {
            assertThat(r.handle()).isEqualTo("r");
            assertThat(r.spec().path()).isEqualTo("echo");
        });
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (Process p = endpoint.start(run, ProcessIO.output(out, OutputStream.nullOutputStream()))) {
            assertThat(p.await()).isZero();
        }
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("hi\n");

        GardenEndpoint.ProcessStart attach = endpoint.processStart(route("GET", "/containers/r/processes/e1"), "");
        assertThat(attach).isEqualTo(new GardenEndpoint.Attach("r", "e1"));
        try (Process again = endpoint.start(attach, ProcessIO.NONE)) {
            assertThat(again.await()).isZero();
        }
        assertThatThrownBy(() -> endpoint.start(new GardenEndpoint.Attach("r", "ghost"), ProcessIO.NONE))
                .isInstanceOf(ProcessNotFoundException.class);
        assertThatThrownBy(() -> endpoint.processStart(route("POST", "/containers/r/processes"), "{\"path\": 5}"))
                .isInstanceOf(InvalidRequestException.class);
    }
}
