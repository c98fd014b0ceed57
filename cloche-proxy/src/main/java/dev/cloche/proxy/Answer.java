package dev.cloche.proxy;

import dev.cloche.api.GardenException;
import dev.cloche.wire.ErrorCodec;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/** A complete answer the proxy gives itself (its API, and its refusals of relayed requests); headers beyond Content-*. */
record Answer(int status, String contentType, String body, Map<String, String> headers) {
    private static final ObjectMapper JSON = JsonMapper.builder().build();
    private static final String TEXT = "text/plain; charset=utf-8";

    Answer {
        Objects.requireNonNull(contentType, "contentType");
        Objects.requireNonNull(body, "body");
        headers = Map.copyOf(headers);
    }

    static Answer text(int status, String message) {
        return new Answer(status, TEXT, message + "\n", Map.of());
    }

    static Answer json(int status, Object value) {
        return new Answer(status, "application/json", JSON.writeValueAsString(value) + "\n", Map.of());
    }

    static Answer noContent() {
        return new Answer(204, "text/plain", "", Map.of());
    }

    /**
     * An error of the core: the status {@link ErrorCodec} gives its kind, the kind in {@link ErrorCodec#KIND_HEADER}
     * (as the Garden server sends it), and {@code message} as text, since the proxy's API speaks text, not Garden's JSON.
     */
    static Answer error(GardenException e, String message) {
        return text(ErrorCodec.status(e.kind()), message).with(ErrorCodec.KIND_HEADER, e.kind().name());
    }

    /** An id that is not live: {@code 410} if it ended (or is remembered as ended), {@code 404} if it never was. */
    /** The answer for an environment that cannot serve: ended ({@code 410}), unknown ({@code 404}) or still starting. */
    static Answer missing(String id, Environments.Lookup lookup) {
        return switch (lookup) {
            case Environments.Lookup.Gone g -> text(410, "environment " + id + " has ended");
            case Environments.Lookup.Starting s -> starting(id);
            case Environments.Lookup.Unknown u -> text(404, "no environment " + id);
            case Environments.Lookup.Live l -> text(503, "environment " + id + " cannot serve this request now")
                    .with("retry-after", "1");
        };
    }

    /** {@code 503} with {@code Retry-After}: the environment's server has not passed its readiness check yet. */
    static Answer starting(String id) {
        return text(503, "environment " + id + " is starting: its server is not ready yet; retry shortly")
                .with("retry-after", "1");
    }

    Answer with(String header, String value) {
        Map<String, String> h = new LinkedHashMap<>(headers);
        h.put(header, value);
        return new Answer(status, contentType, body, h);
    }
}
