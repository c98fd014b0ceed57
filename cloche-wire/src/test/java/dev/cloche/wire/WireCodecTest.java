package dev.cloche.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.AlreadyExistsException;
import dev.cloche.api.ConflictException;
import dev.cloche.api.ContainerNotFoundException;
import dev.cloche.api.ExecutableNotFoundException;
import dev.cloche.api.GardenError;
import dev.cloche.api.GardenException;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.ProcessNotFoundException;
import dev.cloche.api.ProcessSpec;
import dev.cloche.api.ResourceExhaustedException;
import dev.cloche.api.ServiceUnavailableException;
import dev.cloche.api.TtySpec;
import dev.cloche.api.UnrecoverableException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class WireCodecTest {

    @Test
    void routeMatchingDecodesParamsAnd404sAnd405s() {
        var found = (Route.Found) Route.match("GET", "/containers/a%20b/properties/k%2Fx");
        assertThat(found.route()).isEqualTo(Route.PROPERTY);
        assertThat(found.params()).isEqualTo(Map.of("handle", "a b", "key", "k/x"));
        assertThat(((Route.Found) Route.match("GET", "/containers/bulk_info")).route()).isEqualTo(Route.BULK_INFO);
        assertThat(((Route.Found) Route.match("DELETE", "/containers/bulk_info")).route()).isEqualTo(Route.DESTROY);
        assertThat(Route.match("GET", "/containers/h/")).isInstanceOf(Route.NotFound.class);
        assertThat(Route.match("GET", "/nope")).isInstanceOf(Route.NotFound.class);
        assertThat(Route.match("PATCH", "/containers/h/stop")).isEqualTo(new Route.MethodNotAllowed(List.of("PUT")));
        assertThat(Route.STDOUT.path("h 1", "p/1", "7")).isEqualTo("/containers/h%201/processes/p%2F1/attaches/7/stdout");
        var back = (Route.Found) Route.match("GET", Route.STDOUT.path("h 1", "p/1", "7"));
        assertThat(back.params()).isEqualTo(Map.of("handle", "h 1", "pid", "p/1", "streamid", "7"));
    }

    @Test
    void stringsAreEscapedLikeGo() {
        assertThat(GardenJson.encodePropertyValue("<a>&\u0001\"\\\n\u2028")).isEqualTo("{\"value\":\"\\u003ca\\u003e\\u0026\\u0001\\\"\\\\\\n\\u2028\"}\n");
    }

    @Test
    void processSpecPresenceOfTtyAndLimitsSurvives() {
        ProcessSpec spec = ProcessSpec.of("sh").withTty(Optional.of(TtySpec.DEFAULT));
        assertThat(GardenJson.encodeProcessSpec(spec)).isEqualTo("{\"path\":\"sh\",\"rlimits\":{},\"tty\":{},\"image\":{}}\n");
        assertThat(GardenJson.decodeProcessSpec("{\"path\":\"sh\",\"tty\":{}}").tty()).contains(TtySpec.DEFAULT);
        assertThat(GardenJson.decodeProcessSpec("{\"PATH\":\"sh\",\"unknown\":[1]}").tty()).isEmpty();
        assertThat(GardenJson.decodeProcessSpec("{\"PATH\":\"sh\"}").path()).isEqualTo("sh");
    }

    @Test
    void payloadPresenceMatters() {
        assertThat(ProcessPayload.signal("p", 0).encode()).isEqualTo("{\"process_id\":\"p\",\"signal\":0}\n");
        assertThat(ProcessPayload.exit("p", 0).encode()).isEqualTo("{\"process_id\":\"p\",\"exit_status\":0}\n");
        assertThat(ProcessPayload.stdinEof("p").encode()).isEqualTo("{\"process_id\":\"p\",\"source\":0}\n");
        ProcessPayload eof = ProcessPayload.decode("{\"process_id\":\"p\",\"source\":0}");
        assertThat(eof.source()).contains(0);
        assertThat(eof.data()).isEmpty();
        assertThat(ProcessPayload.decode("{\"process_id\":\"p\"}").signal()).isEmpty();
    }

    @Test
    void malformedInputIsInvalidRequest() {
        assertThatThrownBy(() -> GardenJson.decodeContainerSpec("{")).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> GardenJson.decodeContainerSpec("{\"grace_time\":\"x\"}")).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> GardenJson.decodeGraceTime("1.5")).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> GardenJson.decodeStop("[]")).isInstanceOf(InvalidRequestException.class);
    }

    @Test
    void everyErrorKindRoundTripsThroughStatusBodyAndHeader() {
        List<GardenException> all = List.of(new ContainerNotFoundException("h"), new ProcessNotFoundException("p"),
                new ExecutableNotFoundException("exec: nope"), new ServiceUnavailableException("down"),
                new UnrecoverableException("broken"), new AlreadyExistsException("Handle 'h' already in use"),
                new InvalidRequestException("bad"), new ConflictException("busy"), new ResourceExhaustedException("full"),
                GardenError.internal("boom"));
        for (GardenException e : all) {
            ErrorCodec.Encoded enc = ErrorCodec.encode(e);
            GardenException back = ErrorCodec.decode(enc.status(), Optional.of(enc.kind()), enc.body());
            assertThat(back).as(e.toString()).isInstanceOf(e.getClass()).hasMessage(e.getMessage());
            assertThat(back.kind()).isEqualTo(e.kind());
        }
        assertThat(ErrorCodec.encode(new ContainerNotFoundException("nope")))
                .isEqualTo(new ErrorCodec.Encoded(404, "CONTAINER_NOT_FOUND",
                        "{\"Type\":\"ContainerNotFoundError\",\"Message\":\"unknown handle: nope\",\"Handle\":\"nope\",\"ProcessID\":\"\",\"Binary\":\"\"}\n"));
        // without the header the status decides; with neither, Go's generic error is internal
        assertThat(ErrorCodec.decode(409, Optional.empty(), ErrorCodec.encode(new ConflictException("x")).body())).isInstanceOf(ConflictException.class);
        assertThat(ErrorCodec.decode(500, Optional.empty(), "not json").kind()).isEqualTo(GardenException.Kind.INTERNAL);
    }
}
