package dev.cloche.wire;

import dev.cloche.api.EventFilter;
import dev.cloche.api.EventReplay;
import dev.cloche.api.InvalidRequestException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Cloche's event route, an extension beside Garden's {@link Route} table ({@value #PATH} is a segment no Garden
 * route uses): {@code GET /events?handle=H&property=k=v&since=N} answers with a chunked stream of newline-delimited
 * events ({@link EventJson}), kept open and flushed per event until the client goes away. {@code property} may be
 * repeated; {@code since} is a sequence number or an ISO-8601 instant.
 */
public final class EventRoute {
    public static final String PATH = "/events";
    public static final String METHOD = "GET";

    private EventRoute() {}

    /** What a subscription asks for. */
    public record Request(EventFilter filter, EventReplay replay) {}

    /** Whether a raw path is this route (whatever the method). */
    public static boolean handles(String rawPath) {
        return rawPath.equals(PATH);
    }

    /** The request target for {@code request}: the path and its query. */
    public static String target(Request request) {
        List<String> params = new ArrayList<>();
        request.filter().handle().ifPresent(h -> params.add("handle=" + enc(h)));
        new java.util.TreeMap<>(request.filter().properties())
                .forEach((k, v) -> params.add("property=" + enc(k + "=" + v)));
        switch (request.replay()) {
            case EventReplay.None n -> { }
            case EventReplay.AfterSequence a -> params.add("since=" + a.sequence());
            case EventReplay.FromTime t -> params.add("since=" + enc(t.time().toString()));
        }
        return PATH + (params.isEmpty() ? "" : "?" + String.join("&", params));
    }

    /**
     * Decodes a raw query (no '?'); unknown keys are ignored, as in Garden's routes. A malformed {@code property} or
     * {@code since} is an {@link InvalidRequestException}.
     */
    public static Request decode(String rawQuery) {
        Optional<String> handle = Optional.empty();
        Map<String, String> properties = new LinkedHashMap<>();
        EventReplay replay = EventReplay.NONE;
        for (String pair : rawQuery.split("[&;]")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String key = dec(eq < 0 ? pair : pair.substring(0, eq));
            String value = dec(eq < 0 ? "" : pair.substring(eq + 1));
            switch (key) {
                case "handle" -> {
                    if (value.isEmpty()) {
                        throw new InvalidRequestException("handle must not be empty");
                    }
                    handle = Optional.of(value);
                }
                case "property" -> {
                    int at = value.indexOf('=');
                    if (at <= 0) {
                        throw new InvalidRequestException("property filter must be name=value: " + value);
                    }
                    properties.put(value.substring(0, at), value.substring(at + 1));
                }
                case "since" -> replay = since(value);
                default -> { }
            }
        }
        return new Request(new EventFilter(handle, properties), replay);
    }

    /** A sequence number (digits) or an ISO-8601 instant such as {@code 2026-12-05T11:00:00Z}. */
    public static EventReplay since(String value) {
        if (!value.isEmpty() && value.chars().allMatch(Character::isDigit)) {
            try {
                return EventReplay.afterSequence(Long.parseLong(value));
            } catch (NumberFormatException e) {
                throw new InvalidRequestException("since: sequence number out of range: " + value);
            }
        }
        try {
            return EventReplay.fromTime(Instant.parse(value));
        } catch (DateTimeParseException e) {
            throw new InvalidRequestException("since must be a sequence number or an ISO-8601 time "
                    + "(e.g. 2026-12-05T11:00:00Z): " + value);
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static String dec(String s) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException("invalid query: " + e.getMessage(), e);
        }
    }
}
