package dev.cloche.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.Event;
import dev.cloche.api.EventFilter;
import dev.cloche.api.EventReplay;
import dev.cloche.api.EventType;
import dev.cloche.api.InvalidRequestException;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** The event route's query and its lines. */
class EventWireTest {
    private static final Instant T = Instant.parse("2026-12-05T11:00:00.123Z");

    @Test
    void anEventIsOneLineAndRoundTrips() {
        Event e = new Event(7, T, EventType.PROCESS_EXITED, "web", "00ff00ff00ff00ff", Map.of("b", "2", "a", "1"),
                Optional.of("p1"), OptionalInt.of(137), Map.of("x", "y"));
        String line = EventJson.encode(e);
        assertThat(line).isEqualTo("{\"seq\":7,\"time\":\"2026-12-05T11:00:00.123Z\",\"type\":\"process-exited\","
                + "\"handle\":\"web\",\"request\":\"00ff00ff00ff00ff\",\"properties\":{\"a\":\"1\",\"b\":\"2\"},"
                + "\"process\":\"p1\",\"exit_status\":137,\"details\":{\"x\":\"y\"}}\n");
        assertThat(EventJson.decode(line)).isEqualTo(e);
    }

    @Test
    void emptyFieldsAreLeftOut() {
        Event e = new Event(1, T, EventType.IMAGE_PULLED, "", "-", Map.of(), Optional.empty(), OptionalInt.empty(),
                Map.of());
        String line = EventJson.encode(e);
        assertThat(line).doesNotContain("handle", "process", "exit_status", "properties", "details");
        assertThat(EventJson.decode(line)).isEqualTo(e);
        assertThatThrownBy(() -> EventJson.decode(line.replace("image-pulled", "bogus")))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("bogus");
    }

    @Test
    void theQueryCarriesHandleRepeatedPropertiesAndSince() {
        EventRoute.Request r = new EventRoute.Request(
                new EventFilter(Optional.of("a b"), Map.of("app", "shop=1", "tier", "db")), EventReplay.afterSequence(42));
        String target = EventRoute.target(r);
        assertThat(target).isEqualTo("/events?handle=a+b&property=app%3Dshop%3D1&property=tier%3Ddb&since=42");
        assertThat(EventRoute.decode(target.substring(target.indexOf('?') + 1))).isEqualTo(r);

        EventRoute.Request byTime = new EventRoute.Request(EventFilter.ALL, EventReplay.fromTime(T));
        String t = EventRoute.target(byTime);
        assertThat(EventRoute.decode(t.substring(t.indexOf('?') + 1))).isEqualTo(byTime);
        assertThat(EventRoute.target(new EventRoute.Request(EventFilter.ALL, EventReplay.NONE))).isEqualTo("/events");
        assertThat(EventRoute.decode("")).isEqualTo(new EventRoute.Request(EventFilter.ALL, EventReplay.NONE));
    }

    @Test
    void badQueriesAreTypedRefusals() {
        assertThatThrownBy(() -> EventRoute.decode("since=yesterday")).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("sequence number or an ISO-8601 time");
        assertThatThrownBy(() -> EventRoute.decode("since=-1")).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> EventRoute.decode("since=99999999999999999999")).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> EventRoute.decode("property=novalue")).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("name=value");
        assertThatThrownBy(() -> EventRoute.decode("handle=")).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> EventRoute.decode("handle=%zz")).isInstanceOf(InvalidRequestException.class);
    }
}
