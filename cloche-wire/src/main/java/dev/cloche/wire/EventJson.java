package dev.cloche.wire;

import dev.cloche.api.Event;
import dev.cloche.api.EventType;
import dev.cloche.api.InvalidRequestException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.OptionalInt;
import tools.jackson.databind.JsonNode;

/**
 * One event as a line of {@link EventRoute}'s stream: snake_case keys, the time as ISO-8601 text, the type by its
 * wire name, empty optional fields left out, then "\n".
 */
public final class EventJson {
    private EventJson() {}

    public static String encode(Event e) {
        JsonObject o = new JsonObject().put("seq", e.sequence()).put("time", e.time().toString())
                .put("type", e.type().wireName()).strOmit("handle", e.handle()).put("request", e.requestId())
                .mapOmit("properties", e.properties());
        e.processId().ifPresent(p -> o.put("process", p));
        if (e.exitStatus().isPresent()) {
            o.put("exit_status", (long) e.exitStatus().getAsInt());
        }
        o.mapOmit("details", e.details());
        return JsonOut.line(o);
    }

    /** An event line; an unknown type or a malformed line is an {@link InvalidRequestException}. */
    public static Event decode(String line) {
        JsonNode n = JsonIn.parse(line);
        JsonIn.requireObject(n, "event");
        String type = JsonIn.str(n, "type");
        Instant time;
        try {
            time = Instant.parse(JsonIn.str(n, "time"));
        } catch (DateTimeParseException e) {
            throw new InvalidRequestException("event time: " + e.getMessage(), e);
        }
        Optional<Long> status = JsonIn.optNum(n, "exit_status");
        return new Event(JsonIn.num(n, "seq"), time,
                EventType.fromWireName(type).orElseThrow(() -> new InvalidRequestException("unknown event type: " + type)),
                JsonIn.str(n, "handle"), JsonIn.str(n, "request"), JsonIn.strMap(n, "properties"),
                JsonIn.field(n, "process").map(v -> JsonIn.asStr(v, "process")),
                status.map(s -> OptionalInt.of(s.intValue())).orElse(OptionalInt.empty()),
                JsonIn.strMap(n, "details"));
    }
}
