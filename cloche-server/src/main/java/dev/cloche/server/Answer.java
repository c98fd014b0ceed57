package dev.cloche.server;

import dev.cloche.api.GardenError;
import dev.cloche.api.GardenException;
import dev.cloche.wire.ErrorCodec;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A complete HTTP answer as a value: status, content type, extra headers (in order) and a text body. Endpoints
 * return them; {@link AnswerWriter} puts them on the wire. Error answers are made here and nowhere else, through
 * the one {@link ErrorCodec}.
 */
record Answer(int status, String contentType, Map<String, String> headers, String body) {
    static final String JSON = "application/json";
    static final String TEXT = "text/plain; charset=utf-8";

    Answer {
        Objects.requireNonNull(contentType, "contentType");
        Objects.requireNonNull(body, "body");
        headers = Collections.unmodifiableMap(new LinkedHashMap<>(headers));
    }

    static Answer json(String body) {
        return new Answer(200, JSON, Map.of(), body);
    }

    static Answer json(String body, Map<String, String> headers) {
        return new Answer(200, JSON, headers, body);
    }

    /** Go's router answer for a path no route has. */
    static Answer notFound() {
        return new Answer(404, TEXT, Map.of(), "404 page not found\n");
    }

    /** Go's router answer for a path that exists for other methods. */
    static Answer methodNotAllowed(Collection<String> allow) {
        return new Answer(405, TEXT, Map.of("Allow", String.join(", ", allow)), "Method Not Allowed\n");
    }

    /** Garden's error answer: status and body from ErrorCodec, the kind in its header. */
    static Answer error(Throwable e) {
        ErrorCodec.Encoded enc = ErrorCodec.encode(garden(e));
        return new Answer(enc.status(), JSON, Map.of(ErrorCodec.KIND_HEADER, enc.kind()), enc.body());
    }

    /** A failure as the API's exception family: anything that is not a GardenException is an internal error. */
    static GardenException garden(Throwable e) {
        return e instanceof GardenException g ? g : GardenError.internal(String.valueOf(e.getMessage()), e);
    }
}
